#include "plugin_loader.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using cairn::PluginKind;
using cairn::StatusCode;
using cairn::plugin::LoadedPlugin;
using cairn::plugin::PluginLoader;

namespace {
const PluginLoader kLoader(TEST_PLUGIN_DIR);
}

TEST_CASE("a well-formed plugin loads and creates its instance") {
  LoadedPlugin p;
  auto st = kLoader.load("good", PluginKind::Extension, &p);
  REQUIRE(st.isOk());
  CHECK(std::string(p.descriptor().name) == "good");
  CHECK(p.descriptor().abiVersion == cairn::kPluginAbiVersion);
  CHECK(p.instance() != nullptr);
  p.reset();
  CHECK(p.instance() == nullptr);
}

TEST_CASE("a missing plugin names the file it looked for") {
  LoadedPlugin p;
  auto st = kLoader.load("nope", PluginKind::Extension, &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK_THAT(st.message(), Catch::Contains("plugin \"nope\"") && Catch::Contains("nope.so") &&
                               Catch::Contains("not found"));
}

TEST_CASE("a plugin built for another ABI is refused with both versions named") {
  LoadedPlugin p;
  auto st = kLoader.load("wrong-abi", PluginKind::Extension, &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK_THAT(st.message(), Catch::Contains("ABI version 999") &&
                               Catch::Contains("requires ABI version " +
                                               std::to_string(cairn::kPluginAbiVersion)));
  CHECK(p.instance() == nullptr);
}

TEST_CASE("a library without the entry symbol is refused") {
  LoadedPlugin p;
  auto st = kLoader.load("no-entry", PluginKind::Extension, &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK_THAT(st.message(), Catch::Contains("does not export the entry symbol cairn_plugin_v1"));
}

TEST_CASE("a plugin of the wrong kind is refused") {
  LoadedPlugin p;
  auto st = kLoader.load("good", PluginKind::Storage, &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK_THAT(st.message(), Catch::Contains("is a extension plugin, expected a storage plugin"));
}

TEST_CASE("a file that is not a shared library gives dlopen's reason") {
  auto path = std::filesystem::path(TEST_PLUGIN_DIR) / "garbage.so";
  std::ofstream(path) << "not an ELF file";
  LoadedPlugin p;
  auto st = kLoader.load("garbage", PluginKind::Extension, &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK_THAT(st.message(), Catch::Contains("cannot load"));
}

TEST_CASE("a plugin whose name differs from its file is refused") {
  LoadedPlugin p;
  auto st = kLoader.load("misnamed", PluginKind::Extension, &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK_THAT(st.message(), Catch::Contains("calls itself \"good\""));
}

TEST_CASE("names with a path separator are rejected") {
  LoadedPlugin p;
  auto st = kLoader.load("../good", PluginKind::Extension, &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
}
