// libFuzzer target: arbitrary bytes as a gateway request body. The body is
// read value by value as Go's json.Decoder reads it, each value decoded into
// the request types the streaming and unary routes take (as etcd's gateway
// decodes them) and re-encoded as the gateway writes responses; the same
// bytes are read whole as json.Unmarshal reads them and quoted as Go quotes
// error messages.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "etcdserverpb/rpc.pb.h"
#include "gateway_json_decoder.h"
#include "go_json_reader.h"
#include "json_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn::apihttp;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)goJsonQuote(body);
  std::string error;
  GoJsonNode whole;
  (void)parseGoJsonWhole(body, &whole, &error);
  GoJsonReader reader(body);
  GoJsonNode value;
  while (reader.next(&value, &error) == GoJsonReader::Outcome::Value) {
    etcdserverpb::WatchRequest watch;
    if (decodeGatewayValue(value, &watch, &error)) (void)gatewayJson(watch);
    etcdserverpb::TxnRequest txn;
    if (decodeGatewayValue(value, &txn, &error)) (void)gatewayJson(txn);
    etcdserverpb::RangeRequest range;
    if (decodeGatewayValue(value, &range, &error)) (void)gatewayJson(range);
  }
  return 0;
}
