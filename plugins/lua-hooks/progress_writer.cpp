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
                  // A kernel thread: only note the outcome. The next
                  // proposal is made by the runner thread (record, pump,
                  // flush), never from inside a kernel completion.
                  auto self = weak.lock();
                  if (!self) return;
                  {
                    std::lock_guard<std::mutex> lock(self->mu_);
                    Entry& e = self->entries_[handler];
                    e.inflight = false;
                    if (st) e.applied = std::max(e.applied, revision);
                  }
                  self->cv_.notify_all();
                });
}

void ProgressWriter::pump() {
  std::vector<std::pair<std::string, int64_t>> due;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [handler, e] : entries_) {
      int64_t revision = 0;
      if (takeProposal(handler, e, &revision)) due.emplace_back(handler, revision);
    }
  }
  for (const auto& [handler, revision] : due) propose(handler, revision);
}

bool ProgressWriter::flush(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    pump();
    std::unique_lock<std::mutex> lock(mu_);
    bool done = true;
    for (const auto& [handler, e] : entries_) done = done && e.wanted <= e.applied;
    if (done) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Woken by a completion; a failed proposal is made again on the next
    // round, at most every 50 ms.
    cv_.wait_until(
        lock, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(50)));
  }
}

int64_t ProgressWriter::applied(const std::string& handler) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(handler);
  return it == entries_.end() ? 0 : it->second.applied;
}

}  // namespace cairn::luahooks
