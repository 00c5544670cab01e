#include "gateway_stream.h"

#include "json_gateway.h"
#include "json_text.h"

namespace cairn::apihttp {

GatewayStream::GatewayStream(OpenStreams& open, std::unique_ptr<StreamCall> call,
                             bool withGrpcMetadata)
    : open_(open), call_(std::move(call)), withGrpcMetadata_(withGrpcMetadata) {
  open_.add(call_.get());
}

GatewayStream::~GatewayStream() {
  open_.remove(call_.get());
  call_->close();
}

GatewayStream::Step GatewayStream::next(std::string* chunk) {
  chunk->clear();
  if (ended_) return Step::End;
  std::unique_ptr<google::protobuf::Message> response;
  Status final;
  switch (call_->poll(&response, &final)) {
    case StreamCall::Next::Idle:
      return Step::Idle;
    case StreamCall::Next::Message:
      *chunk = "{\"result\":" + gatewayJson(*response) + "}\n";
      return Step::Chunk;
    case StreamCall::Next::Finished:
      break;
  }
  ended_ = true;
  if (!final) {
    endStatus_ = JsonGateway::httpStatusFor(final.code());
    *chunk = streamErrorJson(final);
  }
  return Step::End;
}

std::string streamErrorJson(const Status& status) {
  const http::status httpStatus = JsonGateway::httpStatusFor(status.code());
  const auto reason = http::obsolete_reason(httpStatus);
  // As jsonpb writes the gateway's StreamError: fields in proto order,
  // empty ones left out.
  std::string out = "{\"error\":{\"grpc_code\":" + std::to_string(static_cast<int>(status.code())) +
                    ",\"http_code\":" + std::to_string(static_cast<unsigned>(httpStatus));
  if (!status.message().empty()) out += ",\"message\":" + goJsonQuote(status.message());
  return out + ",\"http_status\":" + goJsonQuote(std::string_view(reason.data(), reason.size())) +
         "}}";
}

}  // namespace cairn::apihttp
