#include "flag_values.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "go_values.h"
#include "url.h"

namespace cairn::config {
namespace {

std::vector<std::string> splitComma(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    out.emplace_back(s.substr(start, comma - start));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ',';
    out += parts[i];
  }
  return out;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// Plugin names become file names ("<plugin-dir>/<name>.so"), so anything
// that could walk out of the plugin directory is refused.
bool validPluginName(const std::string& name) {
  if (name.empty() || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

// A value the flag does not take; the caller names the flag and the value.
Status flagError(std::string message) {
  return Status(StatusCode::InvalidArgument, std::move(message));
}

}  // namespace

Status normalizeFlagValue(const FlagSpec& spec, std::string_view text, std::string* out) {
  Status parsed = Status::ok();
  switch (spec.kind) {
    case FlagKind::String:
    case FlagKind::Strings:
    case FlagKind::Ignored:
      *out = std::string(text);
      return Status::ok();
    case FlagKind::Bool: {
      bool b = false;
      parsed = parseGoBool(text, &b);
      if (parsed) *out = b ? "true" : "false";
      return parsed;
    }
    case FlagKind::Uint: {
      uint64_t v = 0;
      parsed = parseGoUint(text, 64, &v);
      if (parsed) *out = std::to_string(v);
      return parsed;
    }
    case FlagKind::Uint32: {
      // etcd's own uint32 flag type returns strconv's error unchanged.
      uint64_t v = 0;
      parsed = parseGoUint(text, 32, &v);
      if (parsed) {
        *out = std::to_string(v);
        return Status::ok();
      }
      return flagError("strconv.ParseUint: parsing \"" + std::string(text) + "\": " +
                       (parsed.message() == "parse error" ? "invalid syntax" : parsed.message()));
    }
    case FlagKind::Int: {
      int64_t v = 0;
      parsed = parseGoInt(text, 64, &v);
      if (parsed) *out = std::to_string(v);
      return parsed;
    }
    case FlagKind::Duration: {
      int64_t ns = 0;
      parsed = parseGoDuration(text, &ns);
      if (parsed) *out = formatGoDuration(ns);
      return parsed;
    }
    case FlagKind::CorsOrigins:
      if (text == "*") {
        *out = "*";
        return Status::ok();
      }
      [[fallthrough]];
    case FlagKind::Urls: {
      std::vector<Url> urls;
      parsed = parseUrlList(text, &urls);
      if (parsed) *out = joinUrls(urls);
      return parsed;
    }
    case FlagKind::UniqueStrings: {
      std::vector<std::string> parts = splitComma(text);
      std::sort(parts.begin(), parts.end());
      parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
      *out = join(parts);
      return Status::ok();
    }
    case FlagKind::Choice: {
      for (const std::string& valid : splitComma(spec.choices)) {
        if (text == valid) {
          *out = valid;
          return Status::ok();
        }
      }
      // etcd's selective flags say only "invalid value"; Cairn's own flags
      // name what is allowed.
      if (spec.group != "Cairn") return flagError("invalid value");
      std::string allowed;
      for (const std::string& valid : splitComma(spec.choices)) {
        allowed += (allowed.empty() ? "\"" : ", \"") + valid + "\"";
      }
      return flagError("must be one of " + allowed);
    }
    case FlagKind::KeyValue: {
      size_t eq = text.find('=');
      if (eq == std::string_view::npos || eq == 0) return flagError("expected key=value");
      *out = std::string(text);
      return Status::ok();
    }
    case FlagKind::PluginList: {
      std::vector<std::string> names;
      for (const std::string& part : splitComma(text)) {
        std::string name = trimmed(part);
        if (name.empty()) continue;
        if (!validPluginName(name)) return flagError("invalid plugin name \"" + name + "\"");
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      }
      *out = join(names);
      return Status::ok();
    }
  }
  return flagError("unsupported flag kind");
}

FlagValues::FlagValues() {
  for (const FlagSpec& spec : flagTable()) {
    values_[std::string(spec.name)].text = std::string(spec.defaultValue);
  }
}

Status FlagValues::set(const FlagSpec& spec, std::string_view text, FlagSource source) {
  std::string normalized;
  if (Status s = normalizeFlagValue(spec, text, &normalized); !s) return s;
  FlagValue& value = values_[std::string(spec.name)];
  if (spec.kind == FlagKind::KeyValue) {
    // A new source starts a new list: options from the environment are not
    // merged with options from the command line.
    if (value.source != source) value.items.clear();
    value.items.push_back(normalized);
    value.text = join(value.items);
  } else {
    value.text = std::move(normalized);
  }
  value.source = source;
  return Status::ok();
}

const FlagValue& FlagValues::get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("unknown flag " + std::string(name));
  return it->second;
}

void FlagValues::setDerived(std::string_view name, std::string text) {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("unknown flag " + std::string(name));
  it->second.text = std::move(text);
}

}  // namespace cairn::config
