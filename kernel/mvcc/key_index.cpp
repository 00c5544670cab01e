#include "key_index.h"

namespace cairn::mvcc {

Status KeyIndex::put(Revision rev) {
  if (!(rev > modified_)) {
    return Status(StatusCode::Internal,
                  "mvcc: put of key '" + key_ + "' at revision " + std::to_string(rev.main) + "." +
                      std::to_string(rev.sub) + " is not newer than " +
                      std::to_string(modified_.main) + "." + std::to_string(modified_.sub));
  }
  if (generations_.empty()) generations_.emplace_back();
  Generation& g = generations_.back();
  if (g.revs.empty()) g.created = rev;
  g.revs.push_back(rev);
  ++g.ver;
  modified_ = rev;
  return Status::ok();
}

void KeyIndex::restore(Revision created, Revision modified, int64_t ver) {
  modified_ = modified;
  generations_.clear();
  generations_.push_back(Generation{ver, created, {modified}});
}

Status KeyIndex::tombstone(Revision rev) {
  if (generations_.empty() || generations_.back().empty()) {
    return Status(StatusCode::NotFound, "mvcc: revision not found");
  }
  Status s = put(rev);
  if (!s) return s;
  generations_.emplace_back();
  return Status::ok();
}

int KeyIndex::findGeneration(int64_t rev) const {
  const int last = static_cast<int>(generations_.size()) - 1;
  for (int i = last; i >= 0; --i) {
    const Generation& g = generations_[i];
    if (g.revs.empty()) continue;
    // A closed generation whose tombstone is at or before `rev`: the key was
    // deleted at `rev` (a newer generation would have matched first).
    if (i != last && g.revs.back().main <= rev) return -1;
    if (g.revs.front().main <= rev) return i;
  }
  return -1;
}

bool KeyIndex::get(int64_t atRev, Revision* modified, Revision* created, int64_t* ver) const {
  const int gi = findGeneration(atRev);
  if (gi < 0) return false;
  const Generation& g = generations_[gi];
  for (int n = static_cast<int>(g.revs.size()) - 1; n >= 0; --n) {
    if (g.revs[n].main <= atRev) {
      if (modified) *modified = g.revs[n];
      if (created) *created = g.created;
      // Versions count every change of the generation, pruned ones included.
      if (ver) *ver = g.ver - static_cast<int64_t>(g.revs.size() - n - 1);
      return true;
    }
  }
  return false;
}

std::vector<Revision> KeyIndex::since(int64_t rev) const {
  const Revision from{rev, 0};
  // Start at the newest generation created before `from`; older ones hold
  // only revisions below it.
  std::size_t gi = generations_.empty() ? 0 : generations_.size() - 1;
  for (; gi > 0; --gi) {
    const Generation& g = generations_[gi];
    if (g.empty()) continue;
    if (from > g.created) break;
  }
  std::vector<Revision> out;
  int64_t lastMain = 0;
  for (; gi < generations_.size(); ++gi) {
    for (const Revision& r : generations_[gi].revs) {
      if (from > r) continue;
      if (!out.empty() && r.main == lastMain) {
        out.back() = r;  // keep only the last change of a main revision
        continue;
      }
      out.push_back(r);
      lastMain = r.main;
    }
  }
  return out;
}

void KeyIndex::doCompact(int64_t atRev, RevisionSet* available, std::size_t* genIdx,
                         int* revIdx) const {
  std::size_t gi = 0;
  // Skip generations wholly closed at or before atRev (their tombstone is <= atRev).
  while (gi + 1 < generations_.size()) {
    const Generation& g = generations_[gi];
    if (g.revs.back().main > atRev) break;
    ++gi;
  }
  const Generation& g = generations_[gi];
  int ri = -1;
  for (int n = static_cast<int>(g.revs.size()) - 1; n >= 0; --n) {
    if (g.revs[n].main <= atRev) {
      available->insert(g.revs[n]);
      ri = n;
      break;
    }
  }
  *genIdx = gi;
  *revIdx = ri;
}

void KeyIndex::compact(int64_t atRev, RevisionSet* available) {
  if (generations_.empty()) return;
  std::size_t gi = 0;
  int ri = -1;
  doCompact(atRev, available, &gi, &ri);
  Generation& g = generations_[gi];
  if (!g.empty()) {
    if (ri > 0) g.revs.erase(g.revs.begin(), g.revs.begin() + ri);
    // Only the tombstone of a closed generation is left: the key does not
    // exist at atRev, so the whole generation goes.
    if (g.revs.size() == 1 && gi != generations_.size() - 1) {
      available->erase(g.revs[0]);
      ++gi;
    }
  }
  generations_.erase(generations_.begin(), generations_.begin() + static_cast<std::ptrdiff_t>(gi));
}

void KeyIndex::keep(int64_t atRev, RevisionSet* available) const {
  if (generations_.empty() || isEmpty()) return;
  std::size_t gi = 0;
  int ri = -1;
  doCompact(atRev, available, &gi, &ri);
  const Generation& g = generations_[gi];
  if (!g.empty() && ri == static_cast<int>(g.revs.size()) - 1 && gi != generations_.size() - 1) {
    available->erase(g.revs[ri]);
  }
}

}  // namespace cairn::mvcc
