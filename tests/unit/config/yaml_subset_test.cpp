#include "yaml_subset.h"

#include <catch2/catch.hpp>

using namespace cairn::config;

namespace {

YamlNode mustParse(std::string_view text) {
  YamlNode root;
  YamlError err;
  INFO(text);
  REQUIRE(parseYaml(text, &root, &err));
  return root;
}

YamlError mustFail(std::string_view text) {
  YamlNode root;
  YamlError err;
  INFO(text);
  REQUIRE_FALSE(parseYaml(text, &root, &err));
  return err;
}

}  // namespace

TEST_CASE("yaml: scalars, quotes, comments and nulls", "[yaml]") {
  YamlNode root = mustParse(
      "---\n"
      "# comment\n"
      "name: 'it''s'   # trailing comment\n"
      "dir: \"a\\tb\\u00e9 # not a comment\"\n"
      "url: http://a:1#frag\n"
      "empty:\n"
      "tilde: ~\n"
      "n: 42\r\n"
      "...\n");
  REQUIRE(root.kind == YamlNode::Kind::Mapping);
  REQUIRE(root.entries.size() == 6);
  CHECK(root.entries[0].second.scalar == "it's");
  CHECK(root.entries[0].second.quoted);
  CHECK(root.entries[1].second.scalar == "a\tb\xC3\xA9 # not a comment");
  CHECK(root.entries[2].second.scalar == "http://a:1#frag");
  CHECK(root.entries[3].second.kind == YamlNode::Kind::Null);
  CHECK(root.entries[4].second.kind == YamlNode::Kind::Null);
  CHECK(root.entries[5].second.scalar == "42");
  CHECK(root.entries[5].second.line == 8);
}

TEST_CASE("yaml: nested mappings and sequences", "[yaml]") {
  YamlNode root = mustParse(
      "sec:\n"
      "  cert-file: /c\n"
      "  inner:\n"
      "    deep: 1\n"
      "list:\n"
      "  - a\n"
      "  - \"b c\"\n"
      "same-column:\n"
      "- x\n"
      "flow: [a, 'b,c', \"d\" ]\n"
      "emptyflow: []\n");
  REQUIRE(root.entries.size() == 5);
  const YamlNode& sec = root.entries[0].second;
  REQUIRE(sec.kind == YamlNode::Kind::Mapping);
  CHECK(sec.entries[0].second.scalar == "/c");
  CHECK(sec.entries[1].second.entries[0].second.scalar == "1");
  const YamlNode& list = root.entries[1].second;
  REQUIRE(list.kind == YamlNode::Kind::Sequence);
  CHECK(list.items[1].scalar == "b c");
  CHECK(root.entries[2].second.items[0].scalar == "x");
  const YamlNode& flow = root.entries[3].second;
  REQUIRE(flow.items.size() == 3);
  CHECK(flow.items[1].scalar == "b,c");
  CHECK(flow.items[2].scalar == "d");
  CHECK(root.entries[4].second.items.empty());
}

TEST_CASE("yaml: errors carry the line", "[yaml]") {
  CHECK(mustFail("a: 1\nb\n").line == 2);
  CHECK(mustFail("a: 1\n  b: 2\n").line == 2);
  YamlError dup = mustFail("a: 1\n\n# x\na: 2\n");
  CHECK(dup.line == 4);
  CHECK(dup.message == "mapping key \"a\" already defined");
  CHECK(mustFail("a: 'open\n").line == 1);
  CHECK(mustFail("a: &x 1\n").message == "anchors and aliases are not supported");
  CHECK(mustFail("a: |\n  x\n").message == "block scalars (| and >) are not supported");
  CHECK(mustFail("a: {b: 1}\n").message == "flow mappings ({...}) are not supported");
  CHECK(mustFail("a:\n\t- x\n").message == "tabs are not allowed for indentation");
  CHECK(mustFail("a:\n  - b: 1\n").message == "mappings inside lists are not supported");
  CHECK(mustFail("a: [x\n").line == 1);
  CHECK(mustFail("a: 1\n---\nb: 2\n").message == "multiple documents are not supported");
}

TEST_CASE("yaml: empty document", "[yaml]") {
  CHECK(mustParse("").kind == YamlNode::Kind::Null);
  CHECK(mustParse("# only a comment\n\n").kind == YamlNode::Kind::Null);
}
