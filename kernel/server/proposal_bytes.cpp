#include "proposal_bytes.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <cstdint>

namespace cairn::server {

std::string serializeWithField(const etcdserverpb::InternalRaftRequest& req, int fieldNumber,
                               const google::protobuf::MessageLite& request) {
  using google::protobuf::internal::WireFormatLite;
  using google::protobuf::io::CodedOutputStream;
  const std::size_t size = request.ByteSizeLong();
  const uint32_t tag =
      WireFormatLite::MakeTag(fieldNumber, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  uint8_t prefix[10];  // two varint32s, 5 bytes each at most
  uint8_t* end = CodedOutputStream::WriteVarint32ToArray(tag, prefix);
  end = CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(size), end);
  const auto prefixSize = static_cast<std::size_t>(end - prefix);
  std::string out;
  out.reserve(prefixSize + size + req.ByteSizeLong());
  out.append(reinterpret_cast<const char*>(prefix), prefixSize);
  request.AppendToString(&out);
  req.AppendToString(&out);
  return out;
}

}  // namespace cairn::server
