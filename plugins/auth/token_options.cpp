#include "token_options.h"

namespace cairn::auth {

Status parseTokenOptions(const std::string& text, TokenOptions* out) {
  const Status invalid(StatusCode::InvalidArgument, "auth: invalid auth options");
  size_t start = 0;
  bool first = true;
  for (;;) {
    const size_t comma = text.find(',', start);
    const std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (first) {
      out->type = part;
      first = false;
    } else {
      const size_t eq = part.find('=');
      if (eq == std::string::npos || part.find('=', eq + 1) != std::string::npos) return invalid;
      if (!out->options.emplace(part.substr(0, eq), part.substr(eq + 1)).second) return invalid;
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return Status::ok();
}

}  // namespace cairn::auth
