#include "unmarshal_error.h"

#include <google/protobuf/stubs/common.h>

#include <cstdint>
#include <optional>

namespace cairn::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Error texts of gogoproto's generated Unmarshal and golang/protobuf 1.3.
constexpr const char* kUnexpectedEof = "unexpected EOF";  // io.ErrUnexpectedEOF
constexpr const char* kIntOverflow = "proto: integer overflow";
constexpr const char* kInvalidLength = "proto: negative length found during unmarshaling";
constexpr const char* kInvalidUtf8 = "proto: invalid UTF-8 string";
// Nested deeper than C++ protobuf's recursion limit, or any refusal the
// walk does not reproduce.
constexpr const char* kGeneric = "proto: cannot parse invalid wire-format data";
constexpr int kMaxDepth = 100;

using Error = std::optional<std::string>;

class Walker {
 public:
  explicit Walker(std::string_view data) : data_(data) {}

  // gogo's varint loop: the overflow check comes before the EOF check.
  Error varint(uint64_t* out) {
    uint64_t value = 0;
    for (unsigned shift = 0;; shift += 7) {
      if (shift >= 64) return kIntOverflow;
      if (pos_ >= data_.size()) return kUnexpectedEof;
      const auto b = static_cast<uint8_t>(data_[pos_++]);
      value |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) break;
    }
    *out = value;
    return std::nullopt;
  }

  // A length-delimited payload; `*payload` is its bytes.
  Error lengthDelimited(std::string_view* payload) {
    uint64_t length = 0;
    if (Error e = varint(&length)) return e;
    // Go reads the length into an int: a value with the top bit set is
    // negative there.
    if (static_cast<int64_t>(length) < 0) return kInvalidLength;
    if (length > data_.size() - pos_) return kUnexpectedEof;
    *payload = data_.substr(pos_, length);
    pos_ += length;
    return std::nullopt;
  }

  Error fixed(size_t width) {
    if (width > data_.size() - pos_) return kUnexpectedEof;
    pos_ += width;
    return std::nullopt;
  }

  // gogo's skip<File>() for a field this message does not know.
  Error skip(uint64_t wireType) {
    switch (wireType) {
      case 0: {
        uint64_t ignored = 0;
        return varint(&ignored);
      }
      case 1:
        return fixed(8);
      case 2: {
        std::string_view ignored;
        return lengthDelimited(&ignored);
      }
      case 3:
        // A group: skip fields until its end-group tag.
        while (true) {
          uint64_t inner = 0;
          if (Error e = varint(&inner)) return e;
          if ((inner & 7) == 4) return std::nullopt;
          if (Error e = skip(inner & 7)) return e;
        }
      case 4:
        return std::nullopt;
      case 5:
        return fixed(4);
      default:
        return "proto: illegal wireType " + std::to_string(wireType);
    }
  }

  bool atEnd() const { return pos_ >= data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// The Go type name gogo prints: nested types are joined with '_'.
std::string goTypeName(const Descriptor& type) {
  std::string name = type.full_name();
  if (const std::string& package = type.file()->package(); !package.empty()) {
    name = name.substr(package.size() + 1);
  }
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

// The Go field name gogo prints: CamelCase of the proto name.
std::string goFieldName(const FieldDescriptor& field) {
  std::string out;
  bool upper = true;
  for (char c : field.name()) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

int scalarWireType(const FieldDescriptor& field) {
  switch (field.type()) {
    case FieldDescriptor::TYPE_DOUBLE:
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_SFIXED64:
      return 1;
    case FieldDescriptor::TYPE_FLOAT:
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_SFIXED32:
      return 5;
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES:
    case FieldDescriptor::TYPE_MESSAGE:
      return 2;
    case FieldDescriptor::TYPE_GROUP:
      return 3;
    default:
      return 0;
  }
}

// What C++ protobuf checks for proto3 strings (golang/protobuf 1.3 checks
// the same and says kInvalidUtf8).
bool validUtf8(std::string_view s) {
  return google::protobuf::internal::IsStructurallyValidUTF8(s.data(), static_cast<int>(s.size()));
}

Error walk(const Descriptor& type, std::string_view data, int depth) {
  if (depth > kMaxDepth) return kGeneric;
  Walker in(data);
  while (!in.atEnd()) {
    uint64_t wire = 0;
    if (Error e = in.varint(&wire)) return e;
    const auto fieldNumber = static_cast<int32_t>(wire >> 3);
    const uint64_t wireType = wire & 7;
    if (wireType == 4) {
      return "proto: " + goTypeName(type) + ": wiretype end group for non-group";
    }
    if (fieldNumber <= 0) {
      return "proto: " + goTypeName(type) + ": illegal tag " + std::to_string(fieldNumber) +
             " (wire type " + std::to_string(wire) + ")";
    }
    const FieldDescriptor* field = type.FindFieldByNumber(fieldNumber);
    if (field == nullptr) {
      if (Error e = in.skip(wireType)) return e;
      continue;
    }
    const int expected = scalarWireType(*field);
    const bool packed = field->is_repeated() && expected != 2 && wireType == 2;
    if (static_cast<int>(wireType) != expected && !packed) {
      return "proto: wrong wireType = " + std::to_string(wireType) + " for field " +
             goFieldName(*field);
    }
    if (wireType != 2) {
      if (Error e = in.skip(wireType)) return e;
      continue;
    }
    std::string_view payload;
    if (Error e = in.lengthDelimited(&payload)) return e;
    if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
      if (Error e = walk(*field->message_type(), payload, depth + 1)) return e;
    } else if (field->type() == FieldDescriptor::TYPE_STRING &&
               field->file()->syntax() == google::protobuf::FileDescriptor::SYNTAX_PROTO3 &&
               !validUtf8(payload)) {
      return kInvalidUtf8;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string describeUnmarshalError(const Descriptor& type, std::string_view bytes) {
  return walk(type, bytes, 0).value_or(kGeneric);
}

}  // namespace cairn::api
