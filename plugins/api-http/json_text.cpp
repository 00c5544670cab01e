#include "json_text.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>

namespace cairn::apihttp {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if it is invalid.
std::size_t utf8Length(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0 && b >= 0xC2) {
    len = 2;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3;
  } else if ((b & 0xF8) == 0xF0 && b <= 0xF4) {
    len = 4;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return len;
}

}  // namespace

std::string goJsonQuote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t len = utf8Length(s, i);
      if (len == 0) {
        out += "\\ufffd";
        ++i;
        continue;
      }
      std::string_view seq = s.substr(i, len);
      if (seq == "\xE2\x80\xA8") {
        out += "\\u2028";
      } else if (seq == "\xE2\x80\xA9") {
        out += "\\u2029";
      } else {
        out += seq;
      }
      i += len;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
  return out;
}

std::string gatewayJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;  // OrigName: true
  options.always_print_primitive_fields = false;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace cairn::apihttp
