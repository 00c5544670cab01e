// GatewayStream: one streaming gateway call (POST /v3/watch,
// /v3/lease/keepalive, /v3/maintenance/snapshot, /v3/election/observe and
// any stream a plugin registers under a known route), written as etcd's
// gateway writes it (runtime.ForwardResponseStream): every response one
// `{"result":{...}}` object and a newline in its own HTTP chunk; a failure
// one `{"error":{"grpc_code","http_code","message","http_status"}}` object,
// after which the body ends. Before the first response nothing is sent, so a
// call that fails at once is answered with the error's HTTP status.
#pragma once

#include <memory>
#include <string>

#include "cairn/service.h"
#include "http_types.h"
#include "open_streams.h"

namespace cairn::apihttp {

class GatewayStream {
 public:
  // Registers `call` in `open` until destroyed; `open` must outlive this.
  GatewayStream(OpenStreams& open, std::unique_ptr<StreamCall> call, bool withGrpcMetadata);
  ~GatewayStream();
  GatewayStream(const GatewayStream&) = delete;
  GatewayStream& operator=(const GatewayStream&) = delete;

  StreamCall& call() { return *call_; }

  enum class Step {
    Chunk,  // *chunk holds the next chunk's payload
    Idle,   // nothing yet: the call signals its onReady again
    End,    // the body ends after *chunk (an error object, or empty)
  };
  // Takes the next piece of the body. After End, endStatus() is the HTTP
  // status to send if no header went out yet.
  Step next(std::string* chunk);
  http::status endStatus() const { return endStatus_; }
  // Whether the head carries Grpc-Metadata-Content-Type.
  bool withGrpcMetadata() const { return withGrpcMetadata_; }

 private:
  // Owned by the connection's strand, except that OpenStreams may close()
  // the call from the lifecycle thread (StreamCall is thread-safe).
  OpenStreams& open_;
  std::unique_ptr<StreamCall> call_;
  http::status endStatus_ = http::status::ok;
  bool ended_ = false;
  const bool withGrpcMetadata_;
};

// The error object etcd's gateway writes into a stream for `status`.
std::string streamErrorJson(const Status& status);

}  // namespace cairn::apihttp
