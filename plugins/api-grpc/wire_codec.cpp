#include "wire_codec.h"

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <string>
#include <vector>

#include "unmarshal_error.h"

namespace cairn::api {
namespace {

std::string flatten(const grpc::ByteBuffer& bytes) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!bytes.Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

}  // namespace

Status decodeRequest(const grpc::ByteBuffer& bytes, int maxRequestBytes, CallShape shape,
                     google::protobuf::Message* out) {
  // grpc-go checks the size before decoding, on the wire length.
  const size_t size = bytes.Length();
  if (size > static_cast<size_t>(maxRequestBytes)) {
    return messageTooLarge(size, static_cast<uint64_t>(maxRequestBytes));
  }
  out->Clear();
  {
    // The reader only reads; its constructor takes a non-const pointer.
    grpc::ProtoBufferReader reader(const_cast<grpc::ByteBuffer*>(&bytes));
    if (reader.status().ok() && out->ParseFromZeroCopyStream(&reader)) return Status::ok();
  }
  return unparsableMessage(*out->GetDescriptor(), flatten(bytes), shape);
}

Status unparsableMessage(const google::protobuf::Descriptor& type, std::string_view bytes,
                         CallShape shape) {
  const std::string why = describeUnmarshalError(type, bytes);
  if (shape == CallShape::Unary) return unparsableRequest(why);
  // grpc-go's recvMsg on a stream: "failed to unmarshal the received
  // message %v", without a colon.
  return Status(Error::UnparsableRequest, "grpc: failed to unmarshal the received message " + why);
}

bool encodeResponse(const google::protobuf::Message& message, grpc::ByteBuffer* out) {
  // gRPC's writer wants an empty buffer; a stream reuses its write buffer.
  out->Clear();
  bool ownBuffer = false;
  return grpc::SerializationTraits<google::protobuf::Message>::Serialize(message, out, &ownBuffer)
      .ok();
}

Status missingRequest() {
  return Status(StatusCode::Unknown, "EOF");
}

}  // namespace cairn::api
