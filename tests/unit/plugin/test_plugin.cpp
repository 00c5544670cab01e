// A configurable test plugin: compile definitions pick the defect under test.
#include "cairn/plugin.h"

namespace {

class TestPlugin final : public cairn::ServicePlugin {
 public:
  cairn::Status start(cairn::Host&) override { return cairn::Status::ok(); }
  void stop() override {}
};

cairn::Plugin* create() {
  return new TestPlugin();
}
void destroy(cairn::Plugin* p) {
  delete p;
}

const cairn::PluginDescriptor kDescriptor{TEST_PLUGIN_ABI, TEST_PLUGIN_NAME,
                                          cairn::PluginKind::TEST_PLUGIN_KIND, &create, &destroy};

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
