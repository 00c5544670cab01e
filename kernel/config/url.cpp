#include "url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace cairn::config {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool isIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// etcd's words for a URL it refuses.
Status urlError(std::string message) {
  return Status(StatusCode::InvalidArgument, std::move(message));
}

}  // namespace

Status parseUrl(std::string_view text, Url* out) {
  std::string_view in = trim(text);
  std::string input(in);
  const std::string schemeError = "URL scheme must be http, https, unix, or unixs: " + input;
  size_t sep = in.find("://");
  if (sep == std::string_view::npos) return urlError(schemeError);
  std::string scheme(in.substr(0, sep));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https" && scheme != "unix" && scheme != "unixs") {
    return urlError(schemeError);
  }
  std::string_view rest = in.substr(sep + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (end != std::string_view::npos) return urlError("URL must not contain a path: " + input);
  // User information is legal URL syntax but meaningless for a listener.
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  const std::string hostPortError = "URL address does not have the form \"host:port\": " + input;
  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos || close + 1 >= authority.size() ||
        authority[close + 1] != ':') {
      return urlError(hostPortError);
    }
    host = authority.substr(1, close - 1);
    port = authority.substr(close + 2);
  } else {
    size_t colon = authority.find(':');
    if (colon == std::string_view::npos ||
        authority.find(':', colon + 1) != std::string_view::npos) {
      return urlError(hostPortError);
    }
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return urlError("invalid port \":" + std::string(port) + "\" after host in " + input);
  }
  unsigned long portNumber = std::stoul(std::string(port));
  if (portNumber > 65535)
    return urlError("invalid port \":" + std::string(port) + "\" after host in " + input);
  out->scheme = scheme;
  out->host = std::string(host);
  out->port = static_cast<uint16_t>(portNumber);
  out->raw = scheme + "://" + std::string(authority);
  return Status::ok();
}

Status parseUrlList(std::string_view text, std::vector<Url>* out) {
  std::vector<Url> urls;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    Url url;
    if (Status s = parseUrl(text.substr(start, comma - start), &url); !s) return s;
    urls.push_back(std::move(url));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  std::sort(urls.begin(), urls.end(), [](const Url& a, const Url& b) { return a.raw < b.raw; });
  urls.erase(std::unique(urls.begin(), urls.end(),
                         [](const Url& a, const Url& b) { return a.raw == b.raw; }),
             urls.end());
  *out = std::move(urls);
  return Status::ok();
}

std::string joinUrls(const std::vector<Url>& urls) {
  std::string out;
  for (const Url& u : urls) {
    if (!out.empty()) out += ',';
    out += u.raw;
  }
  return out;
}

Status checkBindUrl(const Url& url) {
  if (url.scheme == "unix" || url.scheme == "unixs") return Status::ok();
  if (url.host == "localhost" || isIpLiteral(url.host)) return Status::ok();
  return urlError("expected IP in URL for binding (" + url.raw + ")");
}

}  // namespace cairn::config
