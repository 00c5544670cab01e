#include "raft/raft_log.h"

#include <algorithm>

#include "raft/errors.h"

namespace cairn::raft {

void limitSize(std::vector<raftpb::Entry>* ents, uint64_t maxSize) {
  if (ents->empty()) return;
  uint64_t size = ents->front().ByteSizeLong();
  size_t limit = 1;
  for (; limit < ents->size(); limit++) {
    size += (*ents)[limit].ByteSizeLong();
    if (size > maxSize) break;
  }
  ents->resize(limit);
}

std::size_t countWithinSize(const raftpb::Entry* ents, std::size_t n, uint64_t maxSize,
                            uint64_t used, bool anyTaken) {
  std::size_t count = 0;
  for (; count < n; ++count) {
    used += ents[count].ByteSizeLong();
    if (used > maxSize && (anyTaken || count > 0)) break;
  }
  return count;
}

RaftLog::RaftLog(Storage* storage, uint64_t maxNextEntsSize)
    : storage_(storage), maxNextEntsSize_(maxNextEntsSize) {
  uint64_t first = storage_->firstIndex();
  uint64_t last = storage_->lastIndex();
  unstable_.offset = last + 1;
  // Everything up to the snapshot is committed and applied by definition.
  committed_ = first - 1;
  applied_ = first - 1;
}

std::optional<uint64_t> RaftLog::maybeAppend(uint64_t index, uint64_t logTerm, uint64_t committed,
                                             const std::vector<raftpb::Entry>& ents) {
  if (!matchTerm(index, logTerm)) return std::nullopt;
  uint64_t lastNew = index + ents.size();
  uint64_t ci = findConflict(ents);
  if (ci != 0) {
    if (ci <= committed_) {
      fatal("entry " + std::to_string(ci) + " conflicts with committed entry (committed " +
            std::to_string(committed_) + ")");
    }
    uint64_t off = index + 1;
    append(std::vector<raftpb::Entry>(ents.begin() + static_cast<ptrdiff_t>(ci - off), ents.end()));
  }
  commitTo(std::min(committed, lastNew));
  return lastNew;
}

uint64_t RaftLog::append(std::vector<raftpb::Entry> ents) {
  if (ents.empty()) return lastIndex();
  uint64_t after = ents.front().index() - 1;
  if (after < committed_) {
    fatal("append after " + std::to_string(after) + " is below committed " +
          std::to_string(committed_));
  }
  unstable_.truncateAndAppend(std::move(ents));
  return lastIndex();
}

uint64_t RaftLog::findConflict(const std::vector<raftpb::Entry>& ents) const {
  for (const auto& e : ents) {
    if (!matchTerm(e.index(), e.term())) return e.index();
  }
  return 0;
}

std::vector<raftpb::Entry> RaftLog::nextEnts() const {
  uint64_t off = std::max(applied_ + 1, firstIndex());
  std::vector<raftpb::Entry> out;
  if (committed_ + 1 > off) {
    Status s = slice(off, committed_ + 1, maxNextEntsSize_, &out);
    if (!s.isOk()) fatal("unexpected error when getting unapplied entries: " + s.message());
  }
  return out;
}

bool RaftLog::hasNextEnts() const {
  uint64_t off = std::max(applied_ + 1, firstIndex());
  return committed_ + 1 > off;
}

Status RaftLog::snapshot(raftpb::Snapshot* out) const {
  if (unstable_.snapshot) {
    *out = *unstable_.snapshot;
    return Status::ok();
  }
  return storage_->snapshot(out);
}

uint64_t RaftLog::firstIndex() const {
  if (auto i = unstable_.maybeFirstIndex()) return *i;
  return storage_->firstIndex();
}

uint64_t RaftLog::lastIndex() const {
  if (auto i = unstable_.maybeLastIndex()) return *i;
  return storage_->lastIndex();
}

uint64_t RaftLog::lastTerm() const {
  uint64_t t = 0;
  Status s = term(lastIndex(), &t);
  if (!s.isOk()) fatal("unexpected error when getting the last term: " + s.message());
  return t;
}

Status RaftLog::term(uint64_t i, uint64_t* out) const {
  *out = 0;
  // Valid range is [first-1, last]; the dummy entry keeps the term of the
  // snapshot index.
  uint64_t dummy = firstIndex() - 1;
  if (i < dummy || i > lastIndex()) return Status::ok();
  if (auto t = unstable_.maybeTerm(i)) {
    *out = *t;
    return Status::ok();
  }
  Status s = storage_->term(i, out);
  if (s.isOk()) return s;
  if (isError(s, kErrCompacted) || isError(s, kErrUnavailable)) return s;
  fatal("storage term(" + std::to_string(i) + "): " + s.message());
}

uint64_t RaftLog::termOrZero(uint64_t i) const {
  uint64_t t = 0;
  Status s = term(i, &t);
  if (s.isOk()) return t;
  if (isError(s, kErrCompacted)) return 0;
  fatal("unexpected error: " + s.message());
}

bool RaftLog::matchTerm(uint64_t i, uint64_t t) const {
  uint64_t got = 0;
  if (!term(i, &got).isOk()) return false;
  return got == t;
}

bool RaftLog::isUpToDate(uint64_t lasti, uint64_t t) const {
  uint64_t lt = lastTerm();
  return t > lt || (t == lt && lasti >= lastIndex());
}

Status RaftLog::entries(uint64_t i, uint64_t maxSize, std::vector<raftpb::Entry>* out) const {
  out->clear();
  if (i > lastIndex()) return Status::ok();
  return slice(i, lastIndex() + 1, maxSize, out);
}

Status RaftLog::checkOutOfBounds(uint64_t lo, uint64_t hi) const {
  if (lo > hi) fatal("invalid slice " + std::to_string(lo) + " > " + std::to_string(hi));
  uint64_t fi = firstIndex();
  if (lo < fi) return errCompacted();
  uint64_t length = lastIndex() + 1 - fi;
  if (hi > fi + length) {
    fatal("slice[" + std::to_string(lo) + "," + std::to_string(hi) + ") out of bound [" +
          std::to_string(fi) + "," + std::to_string(lastIndex()) + "]");
  }
  return Status::ok();
}

Status RaftLog::slice(uint64_t lo, uint64_t hi, uint64_t maxSize,
                      std::vector<raftpb::Entry>* out) const {
  out->clear();
  Status s = checkOutOfBounds(lo, hi);
  if (!s.isOk()) return s;
  if (lo == hi) return Status::ok();
  if (lo < unstable_.offset) {
    uint64_t storedHi = std::min(hi, unstable_.offset);
    s = storage_->entries(lo, storedHi, maxSize, out);
    if (isError(s, kErrCompacted)) return s;
    if (isError(s, kErrUnavailable)) {
      fatal("entries[" + std::to_string(lo) + ":" + std::to_string(storedHi) +
            ") is unavailable from storage");
    }
    if (!s.isOk()) fatal("storage entries: " + s.message());
    // Storage stopped early because of the size limit: done.
    if (out->size() < storedHi - lo) return Status::ok();
  }
  if (hi > unstable_.offset) {
    const uint64_t ulo = std::max(lo, unstable_.offset);
    uint64_t take = hi - ulo;
    if (maxSize != kNoLimit) {
      uint64_t used = 0;
      for (const auto& e : *out) used += e.ByteSizeLong();
      take = countWithinSize(unstable_.entries.data() + (ulo - unstable_.offset), take, maxSize,
                             used, !out->empty());
    }
    unstable_.appendSlice(ulo, ulo + take, out);
  }
  limitSize(out, maxSize);
  return Status::ok();
}

void RaftLog::commitTo(uint64_t toCommit) {
  // Never decrease the commit index.
  if (committed_ < toCommit) {
    if (lastIndex() < toCommit) {
      fatal("tocommit(" + std::to_string(toCommit) + ") is out of range [lastIndex(" +
            std::to_string(lastIndex()) + ")]");
    }
    committed_ = toCommit;
  }
}

bool RaftLog::maybeCommit(uint64_t maxIndex, uint64_t t) {
  if (maxIndex > committed_ && termOrZero(maxIndex) == t) {
    commitTo(maxIndex);
    return true;
  }
  return false;
}

void RaftLog::appliedTo(uint64_t i) {
  if (i == 0) return;
  if (committed_ < i || i < applied_) {
    fatal("applied(" + std::to_string(i) + ") is out of range [prevApplied(" +
          std::to_string(applied_) + "), committed(" + std::to_string(committed_) + ")]");
  }
  applied_ = i;
}

void RaftLog::restore(const raftpb::Snapshot& s) {
  committed_ = s.metadata().index();
  unstable_.restore(s);
}

}  // namespace cairn::raft
