// Request bodies into messages as etcd 3.4's gateway decodes them: its
// marshaler (grpc-gateway's JSONPb) reads the first JSON value of the body
// with a Go json.Decoder and hands it to golang/protobuf's jsonpb (1.3), which
// walks the message's fields in declaration order and lets Go's
// encoding/json convert each scalar. Cairn follows the same walk over the
// proto descriptors, so that what is accepted (unknown fields, null, int64
// as number or string, field names in proto or camel case, text after the
// first value) and each error's text ("json: cannot unmarshal string into
// Go value of type bool", "illegal base64 data at input byte 0", "unknown
// value \"X\" for enum etcdserverpb.RangeRequest_SortOrder") are etcd's.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "go_json_reader.h"

namespace cairn::apihttp {

// Decodes `value` into `message` (which starts empty). False, with etcd's
// error text in *error, when the value does not fit the message.
bool decodeGatewayValue(const GoJsonNode& value, google::protobuf::Message* message,
                        std::string* error);

// A unary route's body: its first JSON value decoded into `message`; a
// body with none (empty or only space) leaves `message` empty, as the
// gateway ignores io.EOF. False, with etcd's error text, otherwise.
bool decodeGatewayBody(std::string_view body, google::protobuf::Message* message,
                       std::string* error);

}  // namespace cairn::apihttp
