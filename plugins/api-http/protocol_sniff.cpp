#include "protocol_sniff.h"

#include <algorithm>

namespace cairn::apihttp {

SniffResult sniffProtocol(std::string_view firstBytes) {
  const std::size_t n = std::min(firstBytes.size(), kHttp2Preface.size());
  if (firstBytes.substr(0, n) != kHttp2Preface.substr(0, n)) return SniffResult::Http1;
  return n == kHttp2Preface.size() ? SniffResult::Http2 : SniffResult::NeedMore;
}

}  // namespace cairn::apihttp
