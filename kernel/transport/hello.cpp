#include "hello.h"

#include <cstring>

namespace cairn::transport {
namespace {

// Version 1 of Cairn's peer protocol.
constexpr std::string_view kMagic = "CAIRNRP1";

void putU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}

uint64_t getU64(std::string_view in, std::size_t at) {
  uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[at + i]);
  return v;
}

}  // namespace

std::string encodeHello(const Hello& h) {
  std::string out(kMagic);
  putU64(&out, h.clusterId);
  putU64(&out, h.from);
  putU64(&out, h.to);
  out.push_back(static_cast<char>(h.lane));
  return out;
}

bool decodeHello(std::string_view bytes, Hello* out) {
  if (bytes.size() != kHelloBytes || bytes.substr(0, kMagic.size()) != kMagic) return false;
  const auto lane = static_cast<uint8_t>(bytes[32]);
  if (lane > static_cast<uint8_t>(Lane::Snapshot)) return false;
  out->clusterId = getU64(bytes, 8);
  out->from = getU64(bytes, 16);
  out->to = getU64(bytes, 24);
  out->lane = static_cast<Lane>(lane);
  return true;
}

std::string encodeHelloReply(const HelloReply& r) {
  std::string out(1, static_cast<char>(r.status));
  putU64(&out, r.clusterId);
  return out;
}

bool decodeHelloReply(std::string_view bytes, HelloReply* out) {
  if (bytes.size() != kHelloReplyBytes) return false;
  const auto status = static_cast<uint8_t>(bytes[0]);
  if (status > static_cast<uint8_t>(HelloStatus::RemovedMember)) return false;
  out->status = static_cast<HelloStatus>(status);
  out->clusterId = getU64(bytes, 1);
  return true;
}

}  // namespace cairn::transport
