#include "gateway_json_decoder.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "go_base64.h"
#include "go_strings.h"

namespace cairn::apihttp {
namespace {

namespace pb = google::protobuf;
using FD = pb::FieldDescriptor;
using Kind = GoJsonNode::Kind;

// Messages nested deeper than protobuf's own parsing limit could not be read
// back by the kernel (which parses requests with protobuf's default limit),
// so the gateway refuses them up front.
constexpr int kMaxMessageDepth = 100;

// A Go package-qualified type name for an enum: etcd's generated Go code
// names `etcdserverpb.RangeRequest.SortOrder` RangeRequest_SortOrder.
std::string goEnumName(const pb::EnumDescriptor* e) {
  const std::string& package = e->file()->package();
  std::string relative = e->full_name().substr(package.empty() ? 0 : package.size() + 1);
  for (char& c : relative) {
    if (c == '.') c = '_';
  }
  const size_t dot = package.rfind('.');
  const std::string goPackage = dot == std::string::npos ? package : package.substr(dot + 1);
  return goPackage.empty() ? relative : goPackage + "." + relative;
}

// The Go type a field's scalar is decoded into, as Go's errors name it.
std::string goScalarType(const FD* f) {
  switch (f->type()) {
    case FD::TYPE_INT64:
    case FD::TYPE_SINT64:
    case FD::TYPE_SFIXED64:
      return "int64";
    case FD::TYPE_UINT64:
    case FD::TYPE_FIXED64:
      return "uint64";
    case FD::TYPE_INT32:
    case FD::TYPE_SINT32:
    case FD::TYPE_SFIXED32:
      return "int32";
    case FD::TYPE_UINT32:
    case FD::TYPE_FIXED32:
      return "uint32";
    case FD::TYPE_DOUBLE:
      return "float64";
    case FD::TYPE_FLOAT:
      return "float32";
    case FD::TYPE_BOOL:
      return "bool";
    case FD::TYPE_STRING:
      return "string";
    case FD::TYPE_BYTES:
      return "[]uint8";
    case FD::TYPE_ENUM:
      return goEnumName(f->enum_type());
    default:
      return "map[string]json.RawMessage";  // messages and groups
  }
}

bool typeError(std::string_view what, std::string_view goType, std::string* error) {
  *error = "json: cannot unmarshal " + std::string(what) + " into Go value of type " +
           std::string(goType);
  return false;
}

// strconv.ParseInt(s, 10, 64) / ParseUint on a JSON number's text.
bool parseGoInt(std::string_view s, int64_t* out) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return false;
  uint64_t magnitude = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<uint64_t>(c - '0');
    if (magnitude > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    magnitude = magnitude * 10 + d;
  }
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (magnitude > limit) return false;
  *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

bool parseGoUint(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    value = value * 10 + d;
  }
  *out = value;
  return true;
}

class Decoder {
 public:
  explicit Decoder(std::string* error) : error_(error) {}
  bool message(const GoJsonNode& v, pb::Message* m, int depth);

 private:
  bool field(const GoJsonNode& v, pb::Message* m, const FD* f, int depth);
  bool element(const GoJsonNode& v, pb::Message* m, const FD* f, int depth);
  bool number(const GoJsonNode& v, pb::Message* m, const FD* f);
  bool bytes(const GoJsonNode& v, std::string* out);
  std::string* error_;
};

// jsonpb's walk over a message: the object's members by field, in the
// order the fields are declared, then the members of each oneof; unknown
// members ignored; null leaves the message empty.
bool Decoder::message(const GoJsonNode& v, pb::Message* m, int depth) {
  if (v.kind == Kind::Null) return true;
  if (v.kind != Kind::Object)
    return typeError(v.goKindWord(), "map[string]json.RawMessage", error_);
  if (depth > kMaxMessageDepth) {
    *error_ = "json: message nested deeper than " + std::to_string(kMaxMessageDepth) + " levels";
    return false;
  }
  const pb::Descriptor* d = m->GetDescriptor();
  // Both spellings are accepted; when both are present the camel-case one
  // wins, as in jsonpb.
  const auto find = [&](const FD* f) {
    const GoJsonNode* camel = v.member(f->json_name());
    return camel != nullptr ? camel : v.member(f->name());
  };
  for (int i = 0; i < d->field_count(); ++i) {
    const FD* f = d->field(i);
    if (f->real_containing_oneof() != nullptr) continue;
    if (const GoJsonNode* value = find(f); value != nullptr) {
      if (!field(*value, m, f, depth)) return false;
    }
  }
  for (int o = 0; o < d->oneof_decl_count(); ++o) {
    const pb::OneofDescriptor* oneof = d->oneof_decl(o);
    if (oneof->is_synthetic()) continue;
    for (int i = 0; i < oneof->field_count(); ++i) {
      const FD* f = oneof->field(i);
      if (const GoJsonNode* value = find(f); value != nullptr) {
        if (!field(*value, m, f, depth)) return false;
      }
    }
  }
  return true;
}

bool Decoder::field(const GoJsonNode& v, pb::Message* m, const FD* f, int depth) {
  if (f->is_map()) {
    if (v.kind == Kind::Null) return true;
    if (v.kind != Kind::Object)
      return typeError(v.goKindWord(), "map[string]json.RawMessage", error_);
    const FD* keyField = f->message_type()->map_key();
    const FD* valueField = f->message_type()->map_value();
    for (size_t i = 0; i < v.items.size(); ++i) {
      if (v.member(v.keys[i]) != &v.items[i]) continue;  // a later duplicate wins
      pb::Message* entry = m->GetReflection()->AddMessage(m, f);
      if (keyField->type() == FD::TYPE_STRING) {
        entry->GetReflection()->SetString(entry, keyField, v.keys[i]);
      } else {
        // Other key types were quoted when written: jsonpb reads the key's
        // text as the JSON of its scalar.
        GoJsonNode key;
        if (!parseGoJsonWhole(v.keys[i], &key, error_)) return false;
        if (!element(key, entry, keyField, depth)) return false;
      }
      if (!element(v.items[i], entry, valueField, depth)) return false;
    }
    return true;
  }
  if (!f->is_repeated()) return element(v, m, f, depth);
  if (v.kind == Kind::Null) return true;
  if (v.kind != Kind::Array) return typeError(v.goKindWord(), "[]json.RawMessage", error_);
  for (const GoJsonNode& item : v.items) {
    if (!element(item, m, f, depth)) return false;
  }
  return true;
}

// One value of field `f` (the field itself, or one element when repeated).
bool Decoder::element(const GoJsonNode& v, pb::Message* m, const FD* f, int depth) {
  const pb::Reflection* r = m->GetReflection();
  const bool repeated = f->is_repeated();
  switch (f->cpp_type()) {
    case FD::CPPTYPE_MESSAGE: {
      if (v.kind == Kind::Null && !repeated) return true;  // a nil pointer: not set
      pb::Message* child = repeated ? r->AddMessage(m, f) : r->MutableMessage(m, f);
      return message(v, child, depth + 1);
    }
    case FD::CPPTYPE_ENUM: {
      const std::string goType = goEnumName(f->enum_type());
      int number = 0;
      if (v.kind == Kind::String) {
        // jsonpb looks the name up as written, escapes and all.
        const std::string_view name = v.raw.substr(1, v.raw.size() - 2);
        const pb::EnumValueDescriptor* value = f->enum_type()->FindValueByName(std::string(name));
        if (value == nullptr) {
          *error_ = "unknown value " + goQuote(name) + " for enum " + goType;
          return false;
        }
        number = value->number();
      } else if (v.kind == Kind::Number) {
        int64_t n = 0;
        if (!parseGoInt(v.raw, &n) || n < std::numeric_limits<int32_t>::min() ||
            n > std::numeric_limits<int32_t>::max()) {
          return typeError("number " + std::string(v.raw), goType, error_);
        }
        number = static_cast<int>(n);
      } else if (v.kind == Kind::Null) {
        if (repeated) r->AddEnumValue(m, f, 0);
        return true;
      } else {
        return typeError(v.goKindWord(), goType, error_);
      }
      if (repeated) {
        r->AddEnumValue(m, f, number);
      } else {
        r->SetEnumValue(m, f, number);
      }
      return true;
    }
    case FD::CPPTYPE_BOOL: {
      if (v.kind == Kind::True || v.kind == Kind::False) {
        const bool b = v.kind == Kind::True;
        repeated ? r->AddBool(m, f, b) : r->SetBool(m, f, b);
        return true;
      }
      if (v.kind == Kind::Null) {
        if (repeated) r->AddBool(m, f, false);
        return true;
      }
      return typeError(v.goKindWord(), "bool", error_);
    }
    case FD::CPPTYPE_STRING: {
      std::string text;
      if (v.kind == Kind::Null) {
        if (repeated) r->AddString(m, f, "");
        return true;
      }
      if (f->type() == FD::TYPE_BYTES) {
        if (!bytes(v, &text)) return false;
      } else if (v.kind == Kind::String) {
        text = v.text;
      } else {
        return typeError(v.goKindWord(), "string", error_);
      }
      repeated ? r->AddString(m, f, std::move(text)) : r->SetString(m, f, std::move(text));
      return true;
    }
    default:
      return number(v, m, f);
  }
}

// A []byte: base64 text, or (encoding/json allows it) an array of numbers.
bool Decoder::bytes(const GoJsonNode& v, std::string* out) {
  if (v.kind == Kind::String) return goBase64Decode(v.text, out, error_);
  if (v.kind != Kind::Array) return typeError(v.goKindWord(), "[]uint8", error_);
  out->clear();
  for (const GoJsonNode& item : v.items) {
    uint64_t b = 0;
    if (item.kind == Kind::Number) {
      if (!parseGoUint(item.raw, &b) || b > 255) {
        return typeError("number " + std::string(item.raw), "uint8", error_);
      }
    } else if (item.kind != Kind::Null) {
      return typeError(item.goKindWord(), "uint8", error_);
    }
    out->push_back(static_cast<char>(b));
  }
  return true;
}

// Integers and floats: a number, or a string whose text is read as JSON
// again (jsonpb drops the quotes; encoding/json then reads what is left).
bool Decoder::number(const GoJsonNode& given, pb::Message* m, const FD* f) {
  const pb::Reflection* r = m->GetReflection();
  const bool repeated = f->is_repeated();
  const auto cpp = f->cpp_type();
  const bool isFloat = cpp == FD::CPPTYPE_DOUBLE || cpp == FD::CPPTYPE_FLOAT;
  const auto setDouble = [&](double d) {
    if (cpp == FD::CPPTYPE_DOUBLE) {
      repeated ? r->AddDouble(m, f, d) : r->SetDouble(m, f, d);
    } else {
      const auto x = static_cast<float>(d);
      repeated ? r->AddFloat(m, f, x) : r->SetFloat(m, f, x);
    }
  };
  if (isFloat) {
    if (given.raw == "\"NaN\"") return setDouble(std::nan("")), true;
    if (given.raw == "\"Infinity\"") return setDouble(HUGE_VAL), true;
    if (given.raw == "\"-Infinity\"") return setDouble(-HUGE_VAL), true;
  }
  GoJsonNode unquoted;
  const GoJsonNode* v = &given;
  if (given.kind == Kind::String) {
    if (!parseGoJsonWhole(given.raw.substr(1, given.raw.size() - 2), &unquoted, error_)) {
      return false;
    }
    v = &unquoted;
  }
  const std::string goType = goScalarType(f);
  if (v->kind == Kind::Null) {
    if (repeated) {
      if (isFloat) return setDouble(0), true;
      if (cpp == FD::CPPTYPE_INT64) r->AddInt64(m, f, 0);
      if (cpp == FD::CPPTYPE_UINT64) r->AddUInt64(m, f, 0);
      if (cpp == FD::CPPTYPE_INT32) r->AddInt32(m, f, 0);
      if (cpp == FD::CPPTYPE_UINT32) r->AddUInt32(m, f, 0);
    }
    return true;
  }
  if (v->kind != Kind::Number) return typeError(v->goKindWord(), goType, error_);
  const std::string text(v->raw);
  const auto bad = [&]() { return typeError("number " + text, goType, error_); };
  switch (cpp) {
    case FD::CPPTYPE_INT64:
    case FD::CPPTYPE_INT32: {
      int64_t n = 0;
      if (!parseGoInt(text, &n)) return bad();
      if (cpp == FD::CPPTYPE_INT64) {
        repeated ? r->AddInt64(m, f, n) : r->SetInt64(m, f, n);
      } else {
        if (n < std::numeric_limits<int32_t>::min() || n > std::numeric_limits<int32_t>::max()) {
          return bad();
        }
        const auto x = static_cast<int32_t>(n);
        repeated ? r->AddInt32(m, f, x) : r->SetInt32(m, f, x);
      }
      return true;
    }
    case FD::CPPTYPE_UINT64:
    case FD::CPPTYPE_UINT32: {
      uint64_t n = 0;
      if (!parseGoUint(text, &n)) return bad();
      if (cpp == FD::CPPTYPE_UINT64) {
        repeated ? r->AddUInt64(m, f, n) : r->SetUInt64(m, f, n);
      } else {
        if (n > std::numeric_limits<uint32_t>::max()) return bad();
        const auto x = static_cast<uint32_t>(n);
        repeated ? r->AddUInt32(m, f, x) : r->SetUInt32(m, f, x);
      }
      return true;
    }
    default: {
      errno = 0;
      const double d = std::strtod(text.c_str(), nullptr);
      const double limit = cpp == FD::CPPTYPE_FLOAT ? std::numeric_limits<float>::max()
                                                    : std::numeric_limits<double>::max();
      if (std::isinf(d) || std::fabs(d) > limit) return bad();
      setDouble(d);
      return true;
    }
  }
}

}  // namespace

bool decodeGatewayValue(const GoJsonNode& value, pb::Message* message, std::string* error) {
  return Decoder(error).message(value, message, 1);
}

bool decodeGatewayBody(std::string_view body, pb::Message* message, std::string* error) {
  GoJsonReader reader(body);
  GoJsonNode value;
  switch (reader.next(&value, error)) {
    case GoJsonReader::Outcome::End:
      return true;
    case GoJsonReader::Outcome::Error:
      return false;
    case GoJsonReader::Outcome::Value:
      break;
  }
  return decodeGatewayValue(value, message, error);
}

}  // namespace cairn::apihttp
