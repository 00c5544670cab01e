#include "grpc_wire.h"

#include "cairn/errors.h"
#include "h2/hpack_encoder.h"

namespace cairn::api::grpcwire {

void appendPrefix(std::size_t length, std::string* out) {
  const char prefix[kPrefixBytes] = {0, static_cast<char>(length >> 24),
                                     static_cast<char>(length >> 16),
                                     static_cast<char>(length >> 8), static_cast<char>(length)};
  out->append(prefix, kPrefixBytes);
}

bool appendMessage(const google::protobuf::Message& message, std::string* out) {
  const std::size_t size = message.ByteSizeLong();
  if (size > 0x7fffffffu) return false;
  appendPrefix(size, out);
  const std::size_t at = out->size();
  out->resize(at + size);
  return message.SerializeWithCachedSizesToArray(
             reinterpret_cast<std::uint8_t*>(out->data() + at)) != nullptr;
}

Status decode(std::string_view bytes, int maxRequestBytes, CallShape shape,
              google::protobuf::Message* out) {
  if (bytes.size() > static_cast<std::size_t>(maxRequestBytes)) {
    return messageTooLarge(bytes.size(), static_cast<std::uint64_t>(maxRequestBytes));
  }
  out->Clear();
  if (out->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return Status::ok();
  return unparsableMessage(*out->GetDescriptor(), bytes, shape);
}

std::optional<std::chrono::nanoseconds> parseTimeout(std::string_view value) {
  // At most 8 digits and one unit (gRPC's PROTOCOL-HTTP2.md).
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  std::int64_t n = 0;
  for (char c : value.substr(0, value.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  using namespace std::chrono;
  switch (value.back()) {
    case 'H':
      return duration_cast<nanoseconds>(hours(n));
    case 'M':
      return duration_cast<nanoseconds>(minutes(n));
    case 'S':
      return duration_cast<nanoseconds>(seconds(n));
    case 'm':
      return duration_cast<nanoseconds>(milliseconds(n));
    case 'u':
      return duration_cast<nanoseconds>(microseconds(n));
    case 'n':
      return nanoseconds(n);
    default:
      return std::nullopt;
  }
}

namespace {

constexpr std::array<h2::HeaderField, 2> kOkHeaders = {{
    {":status", "200"},  // static index 8: one byte without the table
    {"content-type", "application/grpc", true},
}};
constexpr std::array<h2::HeaderField, 1> kOkTrailers = {{{"grpc-status", "0", true}}};

// gRPC's percent-encoding of grpc-message: printable ASCII but '%' as is,
// every other byte as %XX.
std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b <= 0x7e && b != '%') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xf]);
    }
  }
  return out;
}

}  // namespace

std::span<const h2::HeaderField> okHeaders() {
  return kOkHeaders;
}

std::span<const h2::HeaderField> okTrailers() {
  return kOkTrailers;
}

StatusTrailers::StatusTrailers(const Status& status, bool withHeaders)
    : code_(std::to_string(static_cast<int>(status.code()))),
      message_(percentEncode(status.message())) {
  if (withHeaders) {
    for (const h2::HeaderField& f : kOkHeaders) fields_[count_++] = f;
  }
  // Error codes vary and are rare on a connection: never entered in the
  // table, so they cannot crowd out the fields every answer repeats.
  fields_[count_++] = {"grpc-status", code_, status.isOk()};
  if (!message_.empty()) fields_[count_++] = {"grpc-message", message_};
}

}  // namespace cairn::api::grpcwire
