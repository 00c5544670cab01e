#include "config/flag_settings.h"

#include "config/go_values.h"
#include "config/url.h"

namespace cairn::config {
namespace {

Status badValue(std::string_view flag, const std::string& value, const char* type,
                const Status& why) {
  return Status(StatusCode::InvalidArgument, "flag --" + std::string(flag) + " value \"" + value +
                                                 "\" is not " + type + ": " + why.message());
}

}  // namespace

Status FlagSettings::text(std::string_view flag, const std::string** out) const {
  auto it = raw_.find(flag);
  if (it == raw_.end()) {
    return Status(StatusCode::NotFound, "unknown flag --" + std::string(flag));
  }
  *out = &it->second;
  return Status::ok();
}

std::optional<std::string> FlagSettings::raw(std::string_view flag) const {
  auto it = raw_.find(flag);
  if (it == raw_.end()) return std::nullopt;
  return it->second;
}

Status FlagSettings::boolean(std::string_view flag, bool* out) const {
  const std::string* v = nullptr;
  if (Status st = text(flag, &v); !st) return st;
  if (Status why = parseGoBool(*v, out); !why) {
    return badValue(flag, *v, "a boolean", why);
  }
  return Status::ok();
}

Status FlagSettings::uint64(std::string_view flag, uint64_t* out) const {
  const std::string* v = nullptr;
  if (Status st = text(flag, &v); !st) return st;
  if (Status why = parseGoUint(*v, 64, out); !why) {
    return badValue(flag, *v, "an unsigned integer", why);
  }
  return Status::ok();
}

Status FlagSettings::int64(std::string_view flag, int64_t* out) const {
  const std::string* v = nullptr;
  if (Status st = text(flag, &v); !st) return st;
  if (Status why = parseGoInt(*v, 64, out); !why) {
    return badValue(flag, *v, "an integer", why);
  }
  return Status::ok();
}

Status FlagSettings::duration(std::string_view flag, std::chrono::nanoseconds* out) const {
  const std::string* v = nullptr;
  if (Status st = text(flag, &v); !st) return st;
  int64_t nanos = 0;
  if (Status why = parseGoDuration(*v, &nanos); !why) {
    return badValue(flag, *v, "a duration", why);
  }
  *out = std::chrono::nanoseconds(nanos);
  return Status::ok();
}

Status FlagSettings::parseDuration(std::string_view text, std::chrono::nanoseconds* out) const {
  int64_t nanos = 0;
  if (Status why = parseGoDuration(text, &nanos); !why) return why;
  *out = std::chrono::nanoseconds(nanos);
  return Status::ok();
}

Status FlagSettings::urls(std::string_view flag, std::vector<Url>* out) const {
  const std::string* v = nullptr;
  if (Status st = text(flag, &v); !st) return st;
  out->clear();
  // An empty list is a valid setting here (e.g. --listen-metrics-urls unset),
  // though etcd's flag parser refuses an empty value on the command line.
  if (v->empty()) return Status::ok();
  if (Status why = parseUrlList(*v, out); !why) {
    return badValue(flag, *v, "a URL list", why);
  }
  return Status::ok();
}

Status FlagSettings::list(std::string_view flag, std::vector<std::string>* out) const {
  const std::string* v = nullptr;
  if (Status st = text(flag, &v); !st) return st;
  out->clear();
  std::string_view rest = *v;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    if (!item.empty()) out->emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return Status::ok();
}

}  // namespace cairn::config
