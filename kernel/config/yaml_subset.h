// A parser for the small part of YAML that etcd configuration files use.
//
// Why hand-written: Cairn's dependencies are fixed (Boost, Lua, WiredTiger,
// protobuf, gRPC, Catch2) and none of them reads YAML; etcd's config format
// needs only a flat mapping with a few nested blocks and lists, which a
// 300-line parser covers with precise line numbers in its errors.
//
// Supported:
//   - block mappings `key: value`, nested by indentation (spaces only);
//   - block sequences `- item` (indented under the key or at its column);
//   - flow sequences `[a, "b", 'c']` on one line;
//   - scalars: plain, 'single-quoted' ('' escapes a quote), "double-quoted"
//     (\\ \" \/ \n \t \r \0 \xHH \uHHHH \UHHHHHHHH escapes);
//   - null as an empty value, `~` or `null`;
//   - `#` comments (whole line, or after whitespace outside quotes);
//   - an optional leading `---` and trailing `...`.
// Refused with an error naming the line: tabs in indentation, anchors and
// aliases, tags, block scalars (| >), flow mappings, mappings inside
// sequences, several documents, duplicate keys.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::config {

struct YamlNode {
  enum class Kind { Null, Scalar, Sequence, Mapping };
  Kind kind = Kind::Null;
  std::string scalar;           // Scalar: the value with quotes and escapes resolved
  bool quoted = false;          // Scalar: it was quoted, so never a bool/number/null
  int line = 0;                 // 1-based line where the node starts
  std::vector<YamlNode> items;  // Sequence
  std::vector<std::pair<std::string, YamlNode>> entries;  // Mapping, in file order

  // Defined out of line: inline, they would instantiate pair<string,
  // YamlNode> while YamlNode is still incomplete, which clang (the fuzz
  // build) rejects.
  YamlNode();
  ~YamlNode();
  YamlNode(const YamlNode&);
  YamlNode(YamlNode&&) noexcept;
  YamlNode& operator=(const YamlNode&);
  YamlNode& operator=(YamlNode&&) noexcept;
};

struct YamlError {
  int line = 0;
  std::string message;
};

// Parses a whole document. Returns false and fills `error` on failure. An
// empty document yields a Null root.
bool parseYaml(std::string_view text, YamlNode* root, YamlError* error);

}  // namespace cairn::config
