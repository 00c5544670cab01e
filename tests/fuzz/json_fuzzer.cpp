// libFuzzer target: arbitrary bytes as a gateway request body. The body is
// split into its JSON values, each decoded into the request types the
// streaming and unary routes take and re-encoded as the gateway writes
// responses; the same bytes are quoted as Go quotes error messages.
#include <google/protobuf/util/json_util.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "etcdserverpb/rpc.pb.h"
#include "json_text.h"
#include "json_values.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)cairn::apihttp::goJsonQuote(body);
  const cairn::apihttp::JsonValues values = cairn::apihttp::splitJsonValues(body);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  for (std::string_view value : values.values) {
    etcdserverpb::WatchRequest watch;
    if (google::protobuf::util::JsonStringToMessage(value, &watch, options).ok()) {
      (void)cairn::apihttp::gatewayJson(watch);
    }
    etcdserverpb::TxnRequest txn;
    if (google::protobuf::util::JsonStringToMessage(value, &txn, options).ok()) {
      (void)cairn::apihttp::gatewayJson(txn);
    }
  }
  return 0;
}
