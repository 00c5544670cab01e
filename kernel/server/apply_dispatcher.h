// ApplyDispatcher: the innermost link of the apply chain; routes each
// committed request to the applier registered for the InternalRaftRequest
// field that carries it (put, txn, lease_grant, cairn_plugin_command, a
// plugin's auth_user_add, ...). Replaces an if/else chain over request
// kinds: a new kind registers, nothing else changes.
//
// Threads: appliers are registered while the server starts (before the
// apply loop runs) and only read afterwards, on the apply loop.
#pragma once

#include <functional>
#include <unordered_map>

#include "applier.h"
#include "cairn/logger.h"

namespace cairn::server {

class ApplyDispatcher final : public Applier {
 public:
  using Handler = std::function<void(const ApplyRequest& req, ApplyOutcome* out)>;

  explicit ApplyDispatcher(Logger& logger) : logger_(logger) {}

  // The applier of requests carried in field `fieldNumber`; false (and
  // nothing changes) if that field has one already.
  bool add(int fieldNumber, Handler handler);
  bool handles(int fieldNumber) const { return handlers_.count(fieldNumber) != 0; }

  // A request of a kind nothing registered (e.g. written by a newer member)
  // is answered Unimplemented; its index is still consumed.
  void apply(const ApplyRequest& req, ApplyOutcome* out) override;

 private:
  Logger& logger_;
  std::unordered_map<int, Handler> handlers_;  // written before the apply loop starts
};

}  // namespace cairn::server
