#include "progress_writer.h"

#include <vector>

#include "cairn/lua_hooks.pb.h"

namespace cairn::luahooks {

bool ProgressWriter::takeProposal(const std::string&, Entry& e, int64_t* revision) {
  if (e.inflight || e.wanted <= e.applied) return false;
  e.inflight = true;
  *revision = e.wanted;
  return true;
}

void ProgressWriter::record(const std::string& handler, int64_t revision) {
  int64_t next = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Entry& e = entries_[handler];
    if (revision <= e.wanted) return;
    e.wanted = revision;
    if (!takeProposal(handler, e, &next)) return;
  }
  propose(handler, next);
}

void ProgressWriter::propose(const std::string& handler, int64_t revision) {
  HookProgress cmd;
  cmd.set_handler(handler);
  cmd.set_revision(revision);
  std::weak_ptr<ProgressWriter> weak = weak_from_this();
  host_.propose(RequestContext::internal(), cmd,
                [weak, handler, revision](Status st, std::unique_ptr<google::protobuf::Message>) {
                  auto self = weak.lock();
                  if (!self) return;
                  int64_t next = 0;
                  bool again = false;
                  {
                    std::lock_guard<std::mutex> lock(self->mu_);
                    Entry& e = self->entries_[handler];
                    e.inflight = false;
                    if (st) e.applied = std::max(e.applied, revision);
                    // A failed proposal (leadership lost, stopping) is not
                    // retried from here: the next record() or flush() does.
                    if (st) again = self->takeProposal(handler, e, &next);
                  }
                  self->cv_.notify_all();
                  if (again) self->propose(handler, next);
                });
}

bool ProgressWriter::flush(std::chrono::milliseconds timeout) {
  std::vector<std::pair<std::string, int64_t>> retry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [handler, e] : entries_) {
      int64_t revision = 0;
      if (takeProposal(handler, e, &revision)) retry.emplace_back(handler, revision);
    }
  }
  for (const auto& [handler, revision] : retry) propose(handler, revision);
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] {
    for (const auto& [handler, e] : entries_) {
      if (e.wanted > e.applied) return false;
    }
    return true;
  });
}

int64_t ProgressWriter::applied(const std::string& handler) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(handler);
  return it == entries_.end() ? 0 : it->second.applied;
}

}  // namespace cairn::luahooks
