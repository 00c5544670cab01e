#include "plugin_loader.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using cairn::PluginKind;
using cairn::StatusCode;
using cairn::plugin::LoadedPlugin;
using cairn::plugin::PluginLoader;
using cairn::plugin::requireKind;
using cairn::plugin::requireServicePlugin;

namespace {
const PluginLoader kLoader(TEST_PLUGIN_DIR);
}

TEST_CASE("a well-formed plugin loads and creates its instance") {
  LoadedPlugin p;
  auto st = kLoader.load("good", &p);
  REQUIRE(st.isOk());
  CHECK(std::string(p.descriptor().name) == "good");
  CHECK(p.descriptor().abiVersion == cairn::kPluginAbiVersion);
  CHECK(p.kind() == PluginKind::Extension);
  CHECK(p.path() == std::string(TEST_PLUGIN_DIR) + "/good.so");
  CHECK(p.instance() != nullptr);
  p.reset();
  CHECK(p.instance() == nullptr);
}

TEST_CASE("the kind comes from the plugin's descriptor") {
  LoadedPlugin api;
  REQUIRE(kLoader.load("good-api", &api).isOk());
  CHECK(api.kind() == PluginKind::Api);
  LoadedPlugin storage;
  REQUIRE(kLoader.load("good-storage", &storage).isOk());
  CHECK(storage.kind() == PluginKind::Storage);
}

TEST_CASE("requireKind names the plugin, its file and both kinds") {
  LoadedPlugin api;
  REQUIRE(kLoader.load("good-api", &api).isOk());
  CHECK(requireKind(api, PluginKind::Api).isOk());
  const auto st = requireKind(api, PluginKind::Storage);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK(st.message() == "plugin \"good-api\" at " + std::string(TEST_PLUGIN_DIR) +
                            "/good-api.so is an api plugin, not a storage plugin");

  LoadedPlugin storage;
  REQUIRE(kLoader.load("good-storage", &storage).isOk());
  CHECK(requireKind(storage, PluginKind::Storage).isOk());
  CHECK(requireKind(storage, PluginKind::Extension).message() ==
        "plugin \"good-storage\" at " + std::string(TEST_PLUGIN_DIR) +
            "/good-storage.so is a storage plugin, not an extension plugin");
}

TEST_CASE("requireServicePlugin refuses only storage plugins") {
  LoadedPlugin ext;
  REQUIRE(kLoader.load("good", &ext).isOk());
  CHECK(requireServicePlugin(ext).isOk());
  LoadedPlugin api;
  REQUIRE(kLoader.load("good-api", &api).isOk());
  CHECK(requireServicePlugin(api).isOk());
  LoadedPlugin storage;
  REQUIRE(kLoader.load("good-storage", &storage).isOk());
  const auto st = requireServicePlugin(storage);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK_THAT(st.message(), Catch::Contains("plugin \"good-storage\" at ") &&
                               Catch::Contains("is a storage plugin, not an api, auth or "
                                               "extension plugin"));
}

TEST_CASE("a plugin declaring a kind the SDK does not define is refused") {
  LoadedPlugin p;
  auto st = kLoader.load("unknown-kind", &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK_THAT(st.message(),
             Catch::Contains("plugin \"unknown-kind\"") &&
                 Catch::Contains("unknown-kind.so declares an unknown plugin kind 99"));
  CHECK(p.instance() == nullptr);
}

TEST_CASE("a missing plugin names the file it looked for") {
  LoadedPlugin p;
  auto st = kLoader.load("nope", &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK_THAT(st.message(), Catch::Contains("plugin \"nope\"") && Catch::Contains("nope.so") &&
                               Catch::Contains("not found"));
}

TEST_CASE("a plugin built for another ABI is refused with both versions named") {
  LoadedPlugin p;
  auto st = kLoader.load("wrong-abi", &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK_THAT(st.message(), Catch::Contains("ABI version 999") &&
                               Catch::Contains("requires ABI version " +
                                               std::to_string(cairn::kPluginAbiVersion)));
  CHECK(p.instance() == nullptr);
}

TEST_CASE("a plugin built against SDK 5 is refused with the rebuild hint") {
  REQUIRE(cairn::kPluginAbiVersion == 9);
  LoadedPlugin p;
  auto st = kLoader.load("old-abi", &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK(st.message() == "plugin \"old-abi\": " + std::string(TEST_PLUGIN_DIR) +
                            "/old-abi.so was built for plugin ABI version 5, this cairn requires "
                            "ABI version 9; rebuild the plugin against this SDK");
  CHECK(p.instance() == nullptr);
}

TEST_CASE("a library without the entry symbol is refused") {
  LoadedPlugin p;
  auto st = kLoader.load("no-entry", &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK_THAT(st.message(), Catch::Contains("does not export the entry symbol cairn_plugin_v1"));
}

TEST_CASE("a file that is not a shared library gives dlopen's reason") {
  auto path = std::filesystem::path(TEST_PLUGIN_DIR) / "garbage.so";
  std::ofstream(path) << "not an ELF file";
  LoadedPlugin p;
  auto st = kLoader.load("garbage", &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK_THAT(st.message(), Catch::Contains("cannot load"));
}

TEST_CASE("a plugin whose name differs from its file is refused") {
  LoadedPlugin p;
  auto st = kLoader.load("misnamed", &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
  CHECK_THAT(st.message(), Catch::Contains("calls itself \"good\""));
}

TEST_CASE("names with a path separator are rejected") {
  LoadedPlugin p;
  auto st = kLoader.load("../good", &p);
  CHECK(st.code() == StatusCode::FailedPrecondition);
}
