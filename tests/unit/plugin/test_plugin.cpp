// A configurable test plugin: compile definitions pick the defect under test
// and the kind it declares.
#include <memory>

#include "cairn/plugin.h"

namespace {

class TestServicePlugin final : public cairn::ServicePlugin {
 public:
  cairn::Status start(cairn::Host&) override { return cairn::Status::ok(); }
  void stop() override {}
};

// Never asked for a backend: the loader tests only look at the kind.
class TestStoragePlugin final : public cairn::StoragePlugin {
 public:
  std::unique_ptr<cairn::storage::Backend> createBackend() override { return nullptr; }
};

constexpr auto kKind = static_cast<cairn::PluginKind>(TEST_PLUGIN_KIND);

cairn::Plugin* create() {
  if (kKind == cairn::PluginKind::Storage) return new TestStoragePlugin();
  return new TestServicePlugin();
}
void destroy(cairn::Plugin* p) {
  delete p;
}

const cairn::PluginDescriptor kDescriptor{TEST_PLUGIN_ABI, TEST_PLUGIN_NAME, kKind, &create,
                                          &destroy};

}  // namespace

#ifndef TEST_PLUGIN_NO_ENTRY
CAIRN_PLUGIN_EXPORT const cairn::PluginDescriptor* cairn_plugin_v1() {
  return &kDescriptor;
}
#else
CAIRN_PLUGIN_EXPORT const cairn::PluginDescriptor* some_other_symbol() {
  return &kDescriptor;
}
#endif
