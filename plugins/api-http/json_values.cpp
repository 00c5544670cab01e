#include "json_values.h"

#include <cctype>

namespace cairn::apihttp {
namespace {

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// A scalar (number, true, false, null) ends at whitespace or a bracket.
bool endsScalar(char c) {
  return isSpace(c) || c == '{' || c == '[' || c == '}' || c == ']' || c == '"' || c == ',' ||
         c == ':';
}

}  // namespace

// Hand-written because the one JSON library in use (protobuf's JsonUtil)
// parses exactly one value per call and reports no end offset, and Debian's
// Boost (1.74) predates Boost.JSON's stream parser.
JsonValues splitJsonValues(std::string_view body) {
  JsonValues out;
  std::size_t i = 0;
  const std::size_t n = body.size();
  while (true) {
    while (i < n && isSpace(body[i])) ++i;
    if (i == n) return out;
    const std::size_t start = i;
    if (body[i] != '{' && body[i] != '[' && body[i] != '"') {
      if (body[i] == '}' || body[i] == ']') {
        out.truncated = true;
        return out;
      }
      while (i < n && !endsScalar(body[i])) ++i;
      out.values.push_back(body.substr(start, i - start));
      if (i < n && !isSpace(body[i]) && body[i] != '{' && body[i] != '[' && body[i] != '"') {
        out.truncated = true;  // a scalar followed by , : } ]
        return out;
      }
      continue;
    }
    int depth = 0;
    bool inString = false;
    for (; i < n; ++i) {
      const char c = body[i];
      if (inString) {
        if (c == '\\') {
          ++i;  // the escaped character cannot end the string
        } else if (c == '"') {
          inString = false;
          if (depth == 0) break;
        }
        continue;
      }
      if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) break;
      }
    }
    if (i >= n) {
      out.truncated = true;
      return out;
    }
    ++i;  // past the closing bracket or quote
    out.values.push_back(body.substr(start, i - start));
  }
}

}  // namespace cairn::apihttp
