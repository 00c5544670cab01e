#include "config_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "go_values.h"
#include "yaml_subset.h"

namespace cairn::config {
namespace {

struct SecurityKey {
  std::string_view yamlKey;
  std::string_view clientFlag;
  std::string_view peerFlag;
};

// The fields of etcd's securityConfig and the flags they stand for.
constexpr SecurityKey kSecurityKeys[] = {
    {"cert-file", "cert-file", "peer-cert-file"},
    {"key-file", "key-file", "peer-key-file"},
    {"client-cert-auth", "client-cert-auth", "peer-client-cert-auth"},
    {"trusted-ca-file", "trusted-ca-file", "peer-trusted-ca-file"},
    {"auto-tls", "auto-tls", "peer-auto-tls"},
};

bool isListKind(FlagKind kind) {
  switch (kind) {
    case FlagKind::Urls:
    case FlagKind::CorsOrigins:
    case FlagKind::Strings:
    case FlagKind::UniqueStrings:
    case FlagKind::PluginList:
    case FlagKind::KeyValue:
      return true;
    default:
      return false;
  }
}

class Loader {
 public:
  Loader(const std::string& path, FlagValues* values, std::vector<std::string>* warnings)
      : path_(path), values_(values), warnings_(warnings) {}

  Status load(const YamlNode& root) {
    if (root.kind == YamlNode::Kind::Null) return Status::ok();  // empty file: all defaults
    if (root.kind != YamlNode::Kind::Mapping) {
      return error(root.line, "the document must be a mapping of configuration keys");
    }
    for (const auto& [key, node] : root.entries) {
      Status s = loadKey(key, node);
      if (!s) return s;
    }
    return Status::ok();
  }

 private:
  Status error(int line, const std::string& message) const {
    return Status(StatusCode::InvalidArgument, path_ + ":" + std::to_string(line) + ": " + message);
  }

  Status loadKey(const std::string& key, const YamlNode& node) {
    if (key == "client-transport-security" || key == "peer-transport-security") {
      return loadSecurity(key, node, key == "client-transport-security");
    }
    const FlagSpec* spec = findFlag(key);
    if (spec == nullptr || !spec->inYaml) {
      warnings_->push_back(path_ + ":" + std::to_string(node.line) +
                           ": unknown configuration key \"" + key + "\" ignored");
      return Status::ok();
    }
    return loadFlag(*spec, key, node);
  }

  Status loadSecurity(const std::string& block, const YamlNode& node, bool client) {
    if (node.kind == YamlNode::Kind::Null) return Status::ok();
    if (node.kind != YamlNode::Kind::Mapping) {
      return error(node.line, "\"" + block + "\" must be a mapping");
    }
    for (const auto& [key, value] : node.entries) {
      const SecurityKey* found = nullptr;
      for (const SecurityKey& k : kSecurityKeys) {
        if (k.yamlKey == key) found = &k;
      }
      if (found == nullptr) {
        warnings_->push_back(path_ + ":" + std::to_string(value.line) +
                             ": unknown configuration key \"" + block + "." + key + "\" ignored");
        continue;
      }
      const FlagSpec* spec = findFlag(client ? found->clientFlag : found->peerFlag);
      Status s = loadFlag(*spec, block + "." + key, value);
      if (!s) return s;
    }
    return Status::ok();
  }

  Status loadFlag(const FlagSpec& spec, const std::string& key, const YamlNode& node) {
    if (node.kind == YamlNode::Kind::Null) return Status::ok();  // null keeps the default
    if (node.kind == YamlNode::Kind::Mapping) {
      if (spec.kind != FlagKind::KeyValue) {
        return error(node.line, "\"" + key + "\" must be a single value, not a mapping");
      }
      for (const auto& [k, v] : node.entries) {
        if (v.kind == YamlNode::Kind::Mapping || v.kind == YamlNode::Kind::Sequence) {
          return error(v.line, "\"" + key + "." + k + "\" must be a single value");
        }
        Status s = store(spec, key, k + "=" + v.scalar, v.line);
        if (!s) return s;
      }
      return Status::ok();
    }
    if (node.kind == YamlNode::Kind::Sequence) {
      if (!isListKind(spec.kind)) {
        return error(node.line, "\"" + key + "\" must be a single value, not a list");
      }
      for (const YamlNode& item : node.items) {
        if (item.kind != YamlNode::Kind::Scalar) {
          return error(item.line, "items of \"" + key + "\" must be single values");
        }
      }
      if (spec.kind == FlagKind::KeyValue) {
        for (const YamlNode& item : node.items) {
          Status s = store(spec, key, item.scalar, item.line);
          if (!s) return s;
        }
        return Status::ok();
      }
      std::string joined;
      for (const YamlNode& item : node.items) {
        if (!joined.empty()) joined += ',';
        joined += item.scalar;
      }
      return store(spec, key, joined, node.line);
    }
    std::string text = node.scalar;
    if (spec.kind == FlagKind::Bool) {
      // YAML 1.1 booleans, as etcd's YAML reader understands them.
      static const char* kTrue[] = {"true", "True", "TRUE", "yes", "Yes", "YES",
                                    "on",   "On",   "ON",   "y",   "Y"};
      static const char* kFalse[] = {"false", "False", "FALSE", "no", "No", "NO",
                                     "off",   "Off",   "OFF",   "n",  "N"};
      std::string normalized;
      for (const char* t : kTrue) {
        if (text == t) normalized = "true";
      }
      for (const char* f : kFalse) {
        if (text == f) normalized = "false";
      }
      if (normalized.empty() || node.quoted) {
        return error(node.line, "\"" + key + "\" must be true or false, got \"" + text + "\"");
      }
      text = normalized;
    } else if (spec.kind == FlagKind::Duration && !node.quoted) {
      // etcd stores durations as Go time.Duration, which its YAML loader
      // reads as an integer count of nanoseconds.
      int64_t nanos = 0;
      if (parseGoInt(text, 64, &nanos)) text = formatGoDuration(nanos);
    } else if (spec.kind == FlagKind::Choice && text.empty()) {
      return Status::ok();  // etcd treats an empty choice as unset
    }
    return store(spec, key, text, node.line);
  }

  Status store(const FlagSpec& spec, const std::string& key, const std::string& text, int line) {
    if (Status s = values_->set(spec, text, FlagSource::ConfigFile); !s) {
      return error(line, "invalid value \"" + text + "\" for \"" + key + "\": " + s.message());
    }
    return Status::ok();
  }

  const std::string& path_;
  FlagValues* values_;
  std::vector<std::string>* warnings_;
};

}  // namespace

Status loadConfigText(const std::string& path, std::string_view text, FlagValues* values,
                      std::vector<std::string>* warnings) {
  YamlNode root;
  YamlError yamlError;
  if (!parseYaml(text, &root, &yamlError)) {
    return Status(StatusCode::InvalidArgument,
                  path + ":" + std::to_string(yamlError.line) + ": " + yamlError.message);
  }
  return Loader(path, values, warnings).load(root);
}

Status loadConfigFile(const std::string& path, FlagValues* values,
                      std::vector<std::string>* warnings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status(StatusCode::InvalidArgument, "open " + path + ": " + std::strerror(errno));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    return Status(StatusCode::InvalidArgument, "read " + path + ": " + std::strerror(errno));
  }
  return loadConfigText(path, buffer.str(), values, warnings);
}

}  // namespace cairn::config
