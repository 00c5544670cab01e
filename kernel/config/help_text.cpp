// --help and --version output, and the short usage that follows a command
// line error (etcd prints its usage block there too).
#include "help_text.h"

#include <sstream>

#include "config/config.h"
#include "flag_spec.h"

#ifndef CAIRN_VERSION
#error "CAIRN_VERSION must be defined by the build"
#endif

namespace cairn::config {

std::string usageText() {
  return "Usage:\n"
         "\n"
         "  cairn [flags]\n"
         "    Start a Cairn member (etcd " +
         std::string(kEtcdCompatibleVersion) +
         " compatible).\n"
         "\n"
         "  cairn --version\n"
         "    Print the versions and exit.\n"
         "\n"
         "  cairn -h | --help\n"
         "    List every flag with its default.\n"
         "\n"
         "  cairn --config-file <path>\n"
         "    Read the configuration from an etcd-style YAML file; other flags and\n"
         "    ETCD_* variables are then ignored.\n";
}

std::string helpText() {
  std::ostringstream out;
  out << usageText() << "\nEvery flag can also be set by an ETCD_<NAME> environment variable\n"
      << "(upper case, '-' as '_'), e.g. ETCD_DATA_DIR; the command line wins.\n"
      << "Flags marked (accepted, not yet in effect) are parsed and reported at startup.\n";
  std::vector<std::string_view> groups;
  for (const FlagSpec& spec : flagTable()) {
    if (spec.group.empty()) continue;
    bool known = false;
    for (std::string_view g : groups) known = known || g == spec.group;
    if (!known) groups.push_back(spec.group);
  }
  for (std::string_view group : groups) {
    out << "\n" << group << ":\n";
    for (const FlagSpec& spec : flagTable()) {
      if (spec.group != group) continue;
      std::string shown(spec.defaultValue);
      if (spec.name == "data-dir") shown = "${name}.etcd";
      if (spec.name == "initial-cluster") shown = "default=http://localhost:2380";
      out << "  --" << spec.name << " '" << shown << "'\n    " << spec.help;
      if (!spec.inEffect) out << " (accepted, not yet in effect)";
      out << "\n";
    }
  }
  return out.str();
}

std::string versionText() {
  return std::string("etcd Version: ") + kEtcdCompatibleVersion +
         "\nCairn Version: " + CAIRN_VERSION + "\n";
}

}  // namespace cairn::config
