#include "apply_dispatcher.h"

namespace cairn::server {

bool ApplyDispatcher::add(int fieldNumber, Handler handler) {
  return handlers_.emplace(fieldNumber, std::move(handler)).second;
}

void ApplyDispatcher::apply(const ApplyRequest& req, ApplyOutcome* out) {
  auto it = req.field == nullptr ? handlers_.end() : handlers_.find(req.field->number());
  if (it == handlers_.end()) {
    out->result.status =
        Status(StatusCode::Unimplemented, "etcdserver: unknown request kind in raft entry");
    logger_.error(
        "server/apply_dispatcher.cpp", "skipping a committed request of unknown kind",
        jsonField("index", static_cast<long long>(req.index)) + "," +
            jsonField("field", req.field == nullptr ? std::string("none") : req.field->name()));
    return;
  }
  it->second(req, out);
}

}  // namespace cairn::server
