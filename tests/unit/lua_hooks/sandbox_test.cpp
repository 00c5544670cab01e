#include "sandbox.h"

#include <catch2/catch.hpp>
#include <lua.hpp>
#include <string>
#include <vector>

using cairn::luahooks::CallResult;
using cairn::luahooks::FailureKind;
using cairn::luahooks::Sandbox;
using cairn::luahooks::SandboxLimits;

namespace {

SandboxLimits limits(uint64_t memory = 8 << 20, uint64_t instructions = 1'000'000) {
  SandboxLimits l;
  l.memoryBytes = memory;
  l.instructions = instructions;
  return l;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("the sandbox offers no io, os, package, require, debug, dofile, loadfile") {
  Sandbox box("t.lua", limits(), nullptr);
  REQUIRE(box.valid());
  for (const char* name : {"io", "os", "package", "require", "debug", "dofile", "loadfile"}) {
    INFO(name);
    const CallResult r = box.run(std::string("assert(") + name + " == nil, 'present')");
    CHECK(r.ok());
  }
  CHECK(box.run("assert(string.dump == nil)").ok());
  // And using one is an error that names the script and the line.
  const CallResult r = box.run("local x = 1\nio.open('/etc/passwd')");
  CHECK(r.kind == FailureKind::Runtime);
  CHECK(contains(r.message, "t.lua:2:"));
  CHECK(contains(r.message, "'io'"));
}

TEST_CASE("the safe libraries work") {
  Sandbox box("t.lua", limits(), nullptr);
  CHECK(box.run("assert(string.format('%05d', 42) == '00042')\n"
                "assert(math.max(1, 2) == 2)\n"
                "local t = {3, 1, 2}; table.sort(t); assert(t[1] == 1)\n"
                "assert(utf8.len('h\\u{e9}') == 2)")
            .ok());
}

TEST_CASE("load takes Lua text only, never bytecode") {
  Sandbox box("t.lua", limits(), nullptr);
  CHECK(box.run("local f = load('return 1 + 1'); assert(f() == 2)").ok());
  CHECK(box.run("local f, err = load('\\27Lua\\84\\0'); assert(f == nil)\n"
                "assert(err:find('binary'), err)")
            .ok());
  CHECK(box.run("local f, err = load('return 1', 'x', 'b'); assert(f == nil)").ok());
  CHECK(box.run("local f, err = load(function() return nil end); assert(f == nil)").ok());
}

TEST_CASE("a binary chunk does not load as a script") {
  Sandbox box("t.lua", limits(), nullptr);
  const CallResult r = box.run(std::string("\x1bLua\x54\x00", 6));
  CHECK(r.kind == FailureKind::Compile);
}

TEST_CASE("a compile error names the file and line") {
  Sandbox box("broken.lua", limits(), nullptr);
  const CallResult r = box.run("local a = 1\nlocal b = = 2\n");
  CHECK(r.kind == FailureKind::Compile);
  CHECK(contains(r.message, "broken.lua:2:"));
}

TEST_CASE("an endless loop is stopped by the instruction budget") {
  Sandbox box("loop.lua", limits(8 << 20, 100'000), nullptr);
  const CallResult r = box.run("local n = 0\nwhile true do n = n + 1 end");
  CHECK(r.kind == FailureKind::InstructionLimit);
  CHECK(contains(r.message, "loop.lua:2:"));
  CHECK(contains(r.message, "instruction limit exceeded"));
  // The budget is per call: the next call runs.
  CHECK(box.run("local n = 0 for i = 1, 1000 do n = n + i end").ok());
}

TEST_CASE("pcall cannot swallow the instruction budget") {
  Sandbox box("loop.lua", limits(8 << 20, 100'000), nullptr);
  const CallResult r = box.run("while true do pcall(function() while true do end end) end");
  CHECK(r.kind == FailureKind::InstructionLimit);
}

TEST_CASE("a memory bomb hits the cap, and the state keeps working") {
  Sandbox box("bomb.lua", limits(4 << 20, 0), nullptr);
  const CallResult r =
      box.run("local t = {}\nfor i = 1, 1e9 do t[i] = string.rep('x', 100) .. i end");
  CHECK(r.kind == FailureKind::Memory);
  CHECK(contains(r.message, "bomb.lua:2"));
  CHECK(contains(r.message, "not enough memory"));
  CHECK(box.memoryInUse() < (1u << 20));
  CHECK(box.run("x = string.rep('y', 1000)").ok());
  // One big allocation is refused as well.
  CHECK(box.run("local s = string.rep('z', 64 * 1024 * 1024)").kind == FailureKind::Memory);
}

TEST_CASE("a memory error in a few big steps still names its line") {
  Sandbox box("big.lua", limits(8 << 20, 0), nullptr);
  const CallResult r = box.run(
      "local t = {}\nlocal n = 0\nfor i = 1, 100 do t[i] = string.rep('x', 1 << 20) .. i end");
  CHECK(r.kind == FailureKind::Memory);
  CHECK(contains(r.message, "big.lua:3:"));
}

TEST_CASE("a cap too small for the libraries gives no state, not a crash") {
  Sandbox box("tiny.lua", limits(1024, 0), nullptr);
  CHECK_FALSE(box.valid());
  CHECK(box.run("return 1").kind == FailureKind::Memory);
}

TEST_CASE("print goes to the given sink") {
  std::vector<std::string> lines;
  Sandbox box("p.lua", limits(), [&](const std::string& line) { lines.push_back(line); });
  CHECK(box.run("print('a', 1, true)").ok());
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "a\t1\ttrue");
}
