// Each storage plugin module loads through dlopen and describes itself
// correctly, and the backend it creates works.
#include <dlfcn.h>

#include "backend_fixtures.h"
#include "cairn/plugin.h"

using namespace cairn;

namespace {

struct PluginCase {
  const char* name;
  const char* backendName;
  bool persistent;
};

}  // namespace

TEST_CASE("storage plugins load through cairn_plugin_v1", "[plugin]") {
  auto pc = GENERATE(PluginCase{"storage-memory", "memory", false},
                     PluginCase{"storage-wiredtiger", "wiredtiger", true});
  std::string path = std::string(CAIRN_PLUGIN_DIR) + "/" + pc.name + ".so";
  INFO(path);
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  INFO((handle ? "" : dlerror()));
  REQUIRE(handle != nullptr);
  using Entry = const PluginDescriptor* (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(handle, kPluginEntrySymbol));
  REQUIRE(entry != nullptr);
  const PluginDescriptor* d = entry();
  REQUIRE(d != nullptr);
  CHECK(d->abiVersion == kPluginAbiVersion);
  CHECK(std::string(d->name) == pc.name);
  CHECK(d->kind == PluginKind::Storage);
  REQUIRE(d->create != nullptr);
  REQUIRE(d->destroy != nullptr);

  Plugin* plugin = d->create();
  REQUIRE(plugin != nullptr);
  auto* storage = dynamic_cast<StoragePlugin*>(plugin);
  REQUIRE(storage != nullptr);
  {
    storage::test::TempDir dir;
    std::unique_ptr<storage::Backend> backend = storage->createBackend();
    REQUIRE(backend != nullptr);
    CHECK(backend->name() == pc.backendName);
    CHECK(backend->persistent() == pc.persistent);
    storage::Options o;
    o.path = (dir.path() / "data").string();
    Status st = backend->open(o);
    INFO(st.message());
    REQUIRE(st.isOk());
    storage::WriteBatch w;
    w.put("key", "via-plugin", "yes");
    REQUIRE(backend->commit(w).isOk());
    CHECK(backend->beginRead()->get("key", "via-plugin") == "yes");
    backend->close();
  }
  d->destroy(plugin);
  // Symbols must not leak: only the entry point is exported.
  CHECK(dlsym(handle, "_ZN5cairn7storage13MemoryBackend6commitERKNS0_10WriteBatchE") == nullptr);
  dlclose(handle);
}
