#include "yaml_subset.h"

#include <cstdint>

namespace cairn::config {

YamlNode::YamlNode() = default;
YamlNode::~YamlNode() = default;
YamlNode::YamlNode(const YamlNode&) = default;
YamlNode::YamlNode(YamlNode&&) noexcept = default;
YamlNode& YamlNode::operator=(const YamlNode&) = default;
YamlNode& YamlNode::operator=(YamlNode&&) noexcept = default;

namespace {

struct Line {
  int number;
  int indent;
  std::string content;  // comment and trailing blanks removed, indentation removed
};

struct ParseFailure {
  int line;
  std::string message;
};

bool isBlank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trimBlank(std::string_view s) {
  while (!s.empty() && isBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && isBlank(s.back())) s.remove_suffix(1);
  return s;
}

// Removes a comment that starts outside quotes, at the line start or after
// a blank, as YAML requires ("a#b" is a plain scalar).
std::string stripComment(std::string_view s) {
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0;  // a doubled '' re-enters on the next char
    } else if (quote == '"') {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quote = 0;
      }
    } else if (c == '#' && (i == 0 || isBlank(s[i - 1]))) {
      return std::string(trimBlank(s.substr(0, i)));
    } else if ((c == '\'' || c == '"') && (i == 0 || isBlank(s[i - 1]) || s[i - 1] == '[' ||
                                           s[i - 1] == ',' || s[i - 1] == ':' || s[i - 1] == '-')) {
      quote = c;
    }
  }
  return std::string(trimBlank(s));
}

void appendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  explicit Parser(std::vector<Line> lines) : lines_(std::move(lines)) {}

  YamlNode document() {
    if (lines_.empty()) return YamlNode{};
    if (lines_[0].indent != 0) fail(lines_[0].number, "unexpected indentation");
    YamlNode root = block(0);
    if (pos_ < lines_.size()) fail(lines_[pos_].number, "unexpected indentation");
    return root;
  }

 private:
  [[noreturn]] static void fail(int line, std::string message) {
    throw ParseFailure{line, std::move(message)};
  }

  static bool isSequenceItem(const std::string& content) {
    return content == "-" || content.rfind("- ", 0) == 0;
  }

  YamlNode block(int indent) {
    if (isSequenceItem(lines_[pos_].content)) return sequence(indent);
    return mapping(indent);
  }

  // Splits "key: value" at the first ": " (or a final ':') outside quotes.
  static bool splitKey(const Line& line, std::string* key, std::string_view* rest) {
    std::string_view s = line.content;
    size_t colon = std::string_view::npos;
    if (!s.empty() && (s[0] == '"' || s[0] == '\'')) {
      size_t i = 1;
      std::string_view quotedPart;
      // Find the closing quote, then expect ':'.
      for (; i < s.size(); ++i) {
        if (s[0] == '\'' && s[i] == '\'') {
          if (i + 1 < s.size() && s[i + 1] == '\'') {
            ++i;
            continue;
          }
          break;
        }
        if (s[0] == '"' && s[i] == '\\') {
          ++i;
          continue;
        }
        if (s[0] == '"' && s[i] == '"') break;
      }
      if (i >= s.size()) fail(line.number, "unterminated quoted key");
      YamlNode k = scalarNode(s.substr(0, i + 1), line.number);
      *key = k.scalar;
      std::string_view after = trimBlank(s.substr(i + 1));
      if (after.empty() || after[0] != ':' || (after.size() > 1 && !isBlank(after[1]))) {
        return false;
      }
      *rest = trimBlank(after.substr(1));
      return true;
    }
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == ':' && (i + 1 == s.size() || isBlank(s[i + 1]))) {
        colon = i;
        break;
      }
    }
    if (colon == std::string_view::npos) return false;
    *key = std::string(trimBlank(s.substr(0, colon)));
    *rest = trimBlank(s.substr(colon + 1));
    return !key->empty();
  }

  YamlNode mapping(int indent) {
    YamlNode node;
    node.kind = YamlNode::Kind::Mapping;
    node.line = lines_[pos_].number;
    while (pos_ < lines_.size() && lines_[pos_].indent == indent) {
      const Line& line = lines_[pos_];
      if (isSequenceItem(line.content))
        fail(line.number, "expected a mapping key, found a list item");
      std::string key;
      std::string_view rest;
      if (!splitKey(line, &key, &rest)) fail(line.number, "expected 'key: value'");
      for (const auto& entry : node.entries) {
        if (entry.first == key) fail(line.number, "mapping key \"" + key + "\" already defined");
      }
      ++pos_;
      YamlNode value;
      if (!rest.empty()) {
        value = inlineValue(rest, line.number);
        if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
          fail(lines_[pos_].number, "unexpected indentation");
        }
      } else if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
        value = block(lines_[pos_].indent);
      } else if (pos_ < lines_.size() && lines_[pos_].indent == indent &&
                 isSequenceItem(lines_[pos_].content)) {
        value = sequence(indent);  // "key:\n- a" with the dash at the key's column
      } else {
        value.line = line.number;  // empty value: null
      }
      node.entries.emplace_back(std::move(key), std::move(value));
    }
    if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
      fail(lines_[pos_].number, "unexpected indentation");
    }
    return node;
  }

  YamlNode sequence(int indent) {
    YamlNode node;
    node.kind = YamlNode::Kind::Sequence;
    node.line = lines_[pos_].number;
    while (pos_ < lines_.size() && lines_[pos_].indent == indent &&
           isSequenceItem(lines_[pos_].content)) {
      const Line& line = lines_[pos_];
      std::string_view rest = trimBlank(std::string_view(line.content).substr(1));
      ++pos_;
      if (rest.empty()) {
        if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
          node.items.push_back(block(lines_[pos_].indent));
        } else {
          YamlNode null;
          null.line = line.number;
          node.items.push_back(null);
        }
        continue;
      }
      Line probe{line.number, 0, std::string(rest)};
      std::string key;
      std::string_view value;
      if (rest[0] != '"' && rest[0] != '\'' && rest[0] != '[' && splitKey(probe, &key, &value)) {
        fail(line.number, "mappings inside lists are not supported");
      }
      node.items.push_back(inlineValue(rest, line.number));
      if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
        fail(lines_[pos_].number, "unexpected indentation");
      }
    }
    return node;
  }

  YamlNode inlineValue(std::string_view text, int line) {
    char c = text[0];
    if (c == '[') return flowSequence(text, line);
    if (c == '{') fail(line, "flow mappings ({...}) are not supported");
    if (c == '&' || c == '*') fail(line, "anchors and aliases are not supported");
    if (c == '!') fail(line, "tags are not supported");
    if (c == '|' || c == '>') fail(line, "block scalars (| and >) are not supported");
    return scalarNode(text, line);
  }

  YamlNode flowSequence(std::string_view text, int line) {
    YamlNode node;
    node.kind = YamlNode::Kind::Sequence;
    node.line = line;
    if (text.back() != ']') fail(line, "unterminated or trailing text after flow sequence");
    std::string_view body = trimBlank(text.substr(1, text.size() - 2));
    size_t i = 0;
    while (i < body.size()) {
      size_t start = i;
      if (body[i] == '"' || body[i] == '\'') {
        char q = body[i++];
        while (i < body.size()) {
          if (q == '"' && body[i] == '\\') {
            i += 2;
            continue;
          }
          if (body[i] == q) {
            if (q == '\'' && i + 1 < body.size() && body[i + 1] == '\'') {
              i += 2;
              continue;
            }
            break;
          }
          ++i;
        }
        if (i >= body.size()) fail(line, "unterminated quoted string");
        ++i;
      } else {
        while (i < body.size() && body[i] != ',') {
          if (body[i] == '[' || body[i] == ']' || body[i] == '{' || body[i] == '}') {
            fail(line, "nested flow collections are not supported");
          }
          ++i;
        }
      }
      std::string_view item = trimBlank(body.substr(start, i - start));
      while (i < body.size() && isBlank(body[i])) ++i;
      if (i < body.size() && body[i] != ',') fail(line, "expected ',' in flow sequence");
      if (item.empty()) {
        // "[a, ]": a trailing comma is allowed; "[, a]" is not.
        if (i >= body.size()) break;
        fail(line, "empty item in flow sequence");
      }
      node.items.push_back(scalarNode(item, line));
      if (i < body.size()) ++i;  // skip ','
      while (i < body.size() && isBlank(body[i])) ++i;
    }
    return node;
  }

  static YamlNode scalarNode(std::string_view text, int line) {
    YamlNode node;
    node.kind = YamlNode::Kind::Scalar;
    node.line = line;
    if (text[0] == '\'') {
      node.quoted = true;
      size_t i = 1;
      for (; i < text.size(); ++i) {
        if (text[i] == '\'') {
          if (i + 1 < text.size() && text[i + 1] == '\'') {
            node.scalar += '\'';
            ++i;
            continue;
          }
          break;
        }
        node.scalar += text[i];
      }
      if (i >= text.size()) fail(line, "unterminated single-quoted string");
      if (i + 1 != text.size()) fail(line, "unexpected text after quoted string");
      return node;
    }
    if (text[0] == '"') {
      node.quoted = true;
      size_t i = 1;
      for (; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] != '\\') {
          node.scalar += text[i];
          continue;
        }
        if (++i >= text.size()) break;
        switch (text[i]) {
          case '\\':
            node.scalar += '\\';
            break;
          case '"':
            node.scalar += '"';
            break;
          case '/':
            node.scalar += '/';
            break;
          case 'n':
            node.scalar += '\n';
            break;
          case 't':
            node.scalar += '\t';
            break;
          case 'r':
            node.scalar += '\r';
            break;
          case '0':
            node.scalar += '\0';
            break;
          case 'x':
          case 'u':
          case 'U': {
            size_t width = text[i] == 'x' ? 2 : text[i] == 'u' ? 4 : 8;
            if (i + width >= text.size()) fail(line, "truncated escape in double-quoted string");
            uint32_t cp = 0;
            for (size_t k = 1; k <= width; ++k) {
              char h = text[i + k];
              int d = (h >= '0' && h <= '9')   ? h - '0'
                      : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                      : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                               : -1;
              if (d < 0) fail(line, "invalid escape in double-quoted string");
              cp = cp * 16 + static_cast<uint32_t>(d);
            }
            appendUtf8(&node.scalar, cp);
            i += width;
            break;
          }
          default:
            fail(line, std::string("unknown escape \\") + text[i] + " in double-quoted string");
        }
      }
      if (i >= text.size()) fail(line, "unterminated double-quoted string");
      if (i + 1 != text.size()) fail(line, "unexpected text after quoted string");
      return node;
    }
    if (text == "~" || text == "null" || text == "Null" || text == "NULL") {
      node.kind = YamlNode::Kind::Null;
      return node;
    }
    node.scalar = std::string(text);
    return node;
  }

  std::vector<Line> lines_;
  size_t pos_ = 0;
};

}  // namespace

bool parseYaml(std::string_view text, YamlNode* root, YamlError* error) {
  std::vector<Line> lines;
  int number = 0;
  bool ended = false;
  bool sawContent = false;
  try {
    size_t start = 0;
    while (start <= text.size()) {
      size_t nl = text.find('\n', start);
      std::string_view raw = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
      start = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
      ++number;
      if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
      size_t indent = 0;
      while (indent < raw.size() && raw[indent] == ' ') ++indent;
      std::string content = stripComment(raw.substr(indent));
      if (content.empty()) continue;
      if (indent < raw.size() && raw[indent] == '\t') {
        throw ParseFailure{number, "tabs are not allowed for indentation"};
      }
      if (indent == 0 && content == "---") {
        if (sawContent) throw ParseFailure{number, "multiple documents are not supported"};
        sawContent = true;
        continue;
      }
      if (indent == 0 && content == "...") {
        ended = true;
        continue;
      }
      if (ended) throw ParseFailure{number, "content after the end of the document"};
      if (content.rfind("%", 0) == 0 && indent == 0) {
        throw ParseFailure{number, "YAML directives are not supported"};
      }
      sawContent = true;
      lines.push_back(Line{number, static_cast<int>(indent), std::move(content)});
    }
    Parser parser(std::move(lines));
    *root = parser.document();
    return true;
  } catch (const ParseFailure& f) {
    error->line = f.line;
    error->message = f.message;
    return false;
  }
}

}  // namespace cairn::config
