#include "go_json_reader.h"

#include <cstdint>

#include "go_strings.h"

namespace cairn::apihttp {
namespace {

// Go's encoding/json refuses nesting deeper than this.
constexpr size_t kMaxNestingDepth = 10000;

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool isHex(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Go's quoteChar: the byte as it appears in a syntax error (Go quotes the
// rune U+00XX the byte converts to, between single quotes).
std::string quoteChar(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  if (c == '\'') return "'\\''";
  if (c == '"') return "'\"'";
  std::string rune;
  appendUtf8(rune, c);
  const std::string quoted = goQuote(rune);
  return "'" + quoted.substr(1, quoted.size() - 2) + "'";
}

// One pass of Go's scanner over a value starting at `pos`, building the tree.
class Scanner {
 public:
  enum class Result { Done, Truncated, Error };

  Scanner(std::string_view in, size_t pos) : in_(in), pos_(pos) {}

  // Scans the value at pos_ (space before it already skipped) into `root`.
  Result scan(GoJsonNode* root);
  size_t pos() const { return pos_; }
  const std::string& error() const { return error_; }

 private:
  enum class State { BeginValue, BeginValueOrEmpty, BeginStringOrEmpty, BeginString, EndValue };
  enum class Parse { ObjectKey, ObjectValue, ArrayValue };
  struct Frame {
    GoJsonNode* node;
    Parse parse;
  };

  Result fail(char c, std::string_view context) {
    error_ = "invalid character " + quoteChar(c) + " " + std::string(context);
    return Result::Error;
  }
  GoJsonNode* newNode(GoJsonNode* root);
  void close();
  Result scanString();
  Result scanNumber();
  Result scanLiteral(std::string_view word);

  std::string_view in_;
  size_t pos_;
  std::vector<Frame> stack_;  // the open containers, innermost last
  std::string pendingKey_;    // the key read before an object member's value
  std::string error_;
};

GoJsonNode* Scanner::newNode(GoJsonNode* root) {
  if (stack_.empty()) return root;
  GoJsonNode* parent = stack_.back().node;
  parent->keys.push_back(parent->kind == GoJsonNode::Kind::Object ? std::move(pendingKey_) : "");
  parent->items.emplace_back();
  return &parent->items.back();
}

void Scanner::close() {
  GoJsonNode* node = stack_.back().node;
  const size_t start = static_cast<size_t>(node->raw.data() - in_.data());
  node->raw = in_.substr(start, pos_ + 1 - start);
  stack_.pop_back();
}

Scanner::Result Scanner::scan(GoJsonNode* root) {
  State state = State::BeginValue;
  while (true) {
    if (pos_ == in_.size()) {
      return stack_.empty() && state == State::EndValue ? Result::Done : Result::Truncated;
    }
    const char c = in_[pos_];
    switch (state) {
      case State::BeginValue:
      case State::BeginValueOrEmpty: {
        if (isSpace(c)) {
          ++pos_;
          continue;
        }
        if (state == State::BeginValueOrEmpty && c == ']') {
          close();
          ++pos_;
          state = State::EndValue;
          continue;
        }
        const bool scalar = c == '"' || c == '-' || isDigit(c) || c == 't' || c == 'f' || c == 'n';
        if (!scalar && c != '{' && c != '[') return fail(c, "looking for beginning of value");
        GoJsonNode* node = newNode(root);
        const size_t start = pos_;
        node->raw = in_.substr(start, 0);
        if (c == '{' || c == '[') {
          node->kind = c == '{' ? GoJsonNode::Kind::Object : GoJsonNode::Kind::Array;
          stack_.push_back({node, c == '{' ? Parse::ObjectKey : Parse::ArrayValue});
          if (stack_.size() > kMaxNestingDepth) return fail(c, "exceeded max depth");
          ++pos_;
          state = c == '{' ? State::BeginStringOrEmpty : State::BeginValueOrEmpty;
          continue;
        }
        Result r;
        if (c == '"') {
          node->kind = GoJsonNode::Kind::String;
          r = scanString();
        } else if (c == 't') {
          node->kind = GoJsonNode::Kind::True;
          r = scanLiteral("true");
        } else if (c == 'f') {
          node->kind = GoJsonNode::Kind::False;
          r = scanLiteral("false");
        } else if (c == 'n') {
          node->kind = GoJsonNode::Kind::Null;
          r = scanLiteral("null");
        } else {
          node->kind = GoJsonNode::Kind::Number;
          r = scanNumber();
        }
        if (r != Result::Done) return r;
        node->raw = in_.substr(start, pos_ - start);
        if (node->kind == GoJsonNode::Kind::String) node->text = goUnquote(node->raw);
        state = State::EndValue;
        continue;
      }
      case State::BeginStringOrEmpty:
      case State::BeginString: {
        if (isSpace(c)) {
          ++pos_;
          continue;
        }
        if (state == State::BeginStringOrEmpty && c == '}') {
          close();
          ++pos_;
          state = State::EndValue;
          continue;
        }
        if (c != '"') return fail(c, "looking for beginning of object key string");
        const size_t start = pos_;
        if (Result r = scanString(); r != Result::Done) return r;
        pendingKey_ = goUnquote(in_.substr(start, pos_ - start));
        stack_.back().parse = Parse::ObjectKey;
        state = State::EndValue;
        continue;
      }
      case State::EndValue: {
        if (stack_.empty()) return Result::Done;  // the byte after a value is not its own
        if (isSpace(c)) {
          ++pos_;
          continue;
        }
        Frame& top = stack_.back();
        if (top.parse == Parse::ObjectKey) {
          if (c != ':') return fail(c, "after object key");
          top.parse = Parse::ObjectValue;
          state = State::BeginValue;
        } else if (top.parse == Parse::ObjectValue) {
          if (c == '}') {
            close();
          } else if (c == ',') {
            state = State::BeginString;
          } else {
            return fail(c, "after object key:value pair");
          }
        } else {
          if (c == ']') {
            close();
          } else if (c == ',') {
            state = State::BeginValue;
          } else {
            return fail(c, "after array element");
          }
        }
        ++pos_;
        continue;
      }
    }
  }
}

Scanner::Result Scanner::scanString() {
  ++pos_;  // the opening quote
  while (pos_ < in_.size()) {
    const char c = in_[pos_];
    if (c == '"') {
      ++pos_;
      return Result::Done;
    }
    if (static_cast<unsigned char>(c) < 0x20) return fail(c, "in string literal");
    if (c != '\\') {
      ++pos_;
      continue;
    }
    if (++pos_ == in_.size()) return Result::Truncated;
    const char e = in_[pos_];
    if (e == 'u') {
      for (int k = 0; k < 4; ++k) {
        if (++pos_ == in_.size()) return Result::Truncated;
        if (!isHex(in_[pos_])) return fail(in_[pos_], "in \\u hexadecimal character escape");
      }
    } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
      return fail(e, "in string escape code");
    }
    ++pos_;
  }
  return Result::Truncated;
}

Scanner::Result Scanner::scanNumber() {
  // The states of Go's number scanner; `complete` says whether the number
  // may end after the current state.
  const auto at = [&]() -> int { return pos_ < in_.size() ? in_[pos_] : -1; };
  const auto atDigit = [&]() { return pos_ < in_.size() && isDigit(in_[pos_]); };
  const auto endHere = [&]() { return Result::Done; };
  const auto need = [&](std::string_view context) {
    return pos_ == in_.size() ? Result::Truncated : fail(in_[pos_], context);
  };
  if (at() == '-') {
    ++pos_;
    if (!atDigit()) return need("in numeric literal");
  }
  if (at() == '0') {
    ++pos_;
  } else {
    while (atDigit()) ++pos_;
  }
  if (at() == '.') {
    ++pos_;
    if (!atDigit()) return need("after decimal point in numeric literal");
    while (atDigit()) ++pos_;
  }
  if (at() == 'e' || at() == 'E') {
    ++pos_;
    if (at() == '+' || at() == '-') ++pos_;
    if (!atDigit()) return need("in exponent of numeric literal");
    while (atDigit()) ++pos_;
  }
  return endHere();
}

Scanner::Result Scanner::scanLiteral(std::string_view word) {
  for (size_t i = 1; i < word.size(); ++i) {
    if (++pos_ == in_.size()) return Result::Truncated;
    if (in_[pos_] != word[i]) {
      return fail(in_[pos_], "in literal " + std::string(word) + " (expecting '" +
                                 std::string(1, word[i]) + "')");
    }
  }
  ++pos_;
  return Result::Done;
}

size_t skipSpace(std::string_view in, size_t pos) {
  while (pos < in.size() && isSpace(in[pos])) ++pos;
  return pos;
}

}  // namespace

const GoJsonNode* GoJsonNode::member(std::string_view key) const {
  for (size_t i = keys.size(); i-- > 0;) {
    if (keys[i] == key) return &items[i];
  }
  return nullptr;
}

const char* GoJsonNode::goKindWord() const {
  switch (kind) {
    case Kind::Object:
      return "object";
    case Kind::Array:
      return "array";
    case Kind::String:
      return "string";
    case Kind::Number:
      return "number";
    case Kind::True:
    case Kind::False:
      return "bool";
    case Kind::Null:
      return "null";
  }
  return "null";
}

GoJsonReader::Outcome GoJsonReader::next(GoJsonNode* node, std::string* error) {
  if (failed_) {
    *error = "unexpected EOF";
    return Outcome::Error;
  }
  pos_ = skipSpace(body_, pos_);
  if (pos_ == body_.size()) return Outcome::End;
  *node = GoJsonNode{};
  Scanner scanner(body_, pos_);
  switch (scanner.scan(node)) {
    case Scanner::Result::Done:
      pos_ = scanner.pos();
      return Outcome::Value;
    case Scanner::Result::Truncated:
      *error = "unexpected EOF";
      break;
    case Scanner::Result::Error:
      *error = scanner.error();
      break;
  }
  failed_ = true;
  return Outcome::Error;
}

bool parseGoJsonWhole(std::string_view text, GoJsonNode* node, std::string* error) {
  const size_t start = skipSpace(text, 0);
  if (start == text.size()) {
    *error = "unexpected end of JSON input";
    return false;
  }
  *node = GoJsonNode{};
  Scanner scanner(text, start);
  switch (scanner.scan(node)) {
    case Scanner::Result::Done:
      break;
    case Scanner::Result::Truncated:
      *error = "unexpected end of JSON input";
      return false;
    case Scanner::Result::Error:
      *error = scanner.error();
      return false;
  }
  const size_t end = skipSpace(text, scanner.pos());
  if (end != text.size()) {
    *error = "invalid character " + quoteChar(text[end]) + " after top-level value";
    return false;
  }
  return true;
}

}  // namespace cairn::apihttp
