#include "http_types.h"

#include <ctime>

namespace cairn::apihttp {

Response makeResponse(http::status status, unsigned version, std::string contentType,
                      std::string body) {
  Response res{status, version};
  if (!contentType.empty()) res.set(http::field::content_type, contentType);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

Response goHttpError(http::status status, unsigned version, const std::string& text) {
  Response res = makeResponse(status, version, "text/plain; charset=utf-8", text + "\n");
  res.set("X-Content-Type-Options", "nosniff");
  return res;
}

Response goNotFound(unsigned version) {
  return goHttpError(http::status::not_found, version, "404 page not found");
}

std::string httpDate() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace cairn::apihttp
