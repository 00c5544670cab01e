// Reads JSON as etcd's gateway reads request bodies: with Go's encoding/json
// (a json.Decoder over the body, json.Unmarshal over parts of it), so that
// the values accepted and the syntax errors reported, byte for byte, are the
// ones etcd 3.4's gateway gives.
//
// Hand-written because no JSON library in Debian reproduces Go's reading:
// which prefix of a body counts as the first value (a json.Decoder stops
// there and ignores the rest), the text of each syntax error ("invalid
// character 'x' after object key"), the 10,000-level nesting limit, and Go's
// string unquoting (invalid UTF-8 and lone surrogates become U+FFFD).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::apihttp {

// One JSON value, as a tree over the text it was read from.
struct GoJsonNode {
  enum class Kind { Object, Array, String, Number, True, False, Null };
  Kind kind = Kind::Null;
  // The value's own bytes as written (Go's json.RawMessage): no surrounding
  // space, everything inside kept.
  std::string_view raw;
  // String: the text after Go's unquoting.
  std::string text;
  // Object: members in the order written (duplicates kept; the last one
  // counts, as in a Go map); Array: elements (keys empty).
  std::vector<std::string> keys;
  std::vector<GoJsonNode> items;

  // The last member named `key`, or null.
  const GoJsonNode* member(std::string_view key) const;
  // Go's word for the kind in "cannot unmarshal X into ...".
  const char* goKindWord() const;
};

// A json.Decoder over a whole body: each next() reads one more value.
class GoJsonReader {
 public:
  explicit GoJsonReader(std::string_view body) : body_(body) {}

  enum class Outcome {
    Value,  // *node holds the next value
    End,    // only space was left (Go's io.EOF)
    Error,  // *error holds Go's text; reading stops here
  };
  Outcome next(GoJsonNode* node, std::string* error);

 private:
  std::string_view body_;
  size_t pos_ = 0;
  bool failed_ = false;
};

// json.Unmarshal's reading of `text`: exactly one value with only space
// around it. False, with Go's message in *error ("unexpected end of JSON
// input", "invalid character 'x' after top-level value", ...), otherwise.
bool parseGoJsonWhole(std::string_view text, GoJsonNode* node, std::string* error);

}  // namespace cairn::apihttp
