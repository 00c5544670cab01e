#include "watch_stream_call.h"

namespace cairn::apihttp {

void WatchStreamCall::onMessage(const google::protobuf::Message& request) {
  session_->request(static_cast<const etcdserverpb::WatchRequest&>(request));
}

StreamCall::Next WatchStreamCall::poll(std::unique_ptr<google::protobuf::Message>* out,
                                       Status* finalStatus) {
  // Refused at open (a learner), or ended by the kernel.
  if (Status st = session_->failure(); !st) {
    *finalStatus = std::move(st);
    return Next::Finished;
  }
  auto response = std::make_unique<etcdserverpb::WatchResponse>();
  if (!session_->poll(response.get())) return Next::Idle;
  *out = std::move(response);
  return Next::Message;
}

}  // namespace cairn::apihttp
