#include "router.h"

#include <chrono>
#include <memory>
#include <string_view>

namespace cairn::apihttp {
namespace {

// etcd's allowMethod: anything else is 405 with an Allow header.
bool allowGet(const Request& req, const Reply& reply) {
  if (req.method() == http::verb::get) return true;
  Response res = goHttpError(http::status::method_not_allowed, req.version(), "Method Not Allowed");
  res.set(http::field::allow, "GET");
  reply(std::move(res));
  return false;
}

Response healthResponse(bool healthy, unsigned version) {
  // etcd writes the JSON without a Content-Type, so Go sniffs text/plain.
  return makeResponse(healthy ? http::status::ok : http::status::service_unavailable, version,
                      "text/plain; charset=utf-8",
                      healthy ? R"({"health":"true"})" : R"({"health":"false"})");
}

}  // namespace

void Router::addCorsHeaders(http::fields& res) {
  res.set("Access-Control-Allow-Headers", "accept, content-type, authorization");
  res.set("Access-Control-Allow-Methods", "POST, GET, OPTIONS, PUT, DELETE");
  res.set("Access-Control-Allow-Origin", "*");
}

void Router::handle(const Request& req, Reply reply) {
  const unsigned version = req.version();
  if (req.method() == http::verb::options) {
    reply(makeResponse(http::status::ok, version, "", ""));
    return;
  }
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/metrics") {
    reply(makeResponse(http::status::ok, version, "text/plain; version=0.0.4; charset=utf-8",
                       host_.metrics().render()));
    return;
  }
  if (path == "/health") {
    if (allowGet(req, reply)) health(version, std::move(reply));
    return;
  }
  if (gateway_ != nullptr) {
    if (path == "/version") {
      if (allowGet(req, reply)) {
        reply(makeResponse(http::status::ok, version, "application/json",
                           std::string(R"({"etcdserver":")") + kServerVersion +
                               R"(","etcdcluster":")" + kClusterVersion + "\"}"));
      }
      return;
    }
    if (path == "/v3") {
      // Go's ServeMux redirects a subtree's root without its slash.
      Response res{http::status::moved_permanently, version};
      res.set(http::field::location, "/v3/");
      if (req.method() == http::verb::get) {
        res.set(http::field::content_type, "text/html; charset=utf-8");
        res.body() = "<a href=\"/v3/\">Moved Permanently</a>.\n\n";
      }
      res.prepare_payload();
      reply(std::move(res));
      return;
    }
    if (gateway_->handle(req, reply)) return;
    if (!JsonGateway::gatewayPath(target).empty()) {
      // Under /v3/ the gateway's own mux answers unknown routes.
      reply(goHttpError(http::status::not_found, version, "Not Found"));
      return;
    }
  }
  reply(goNotFound(version));
}

// etcd's checkHealth: unhealthy with an active alarm, without a leader, or
// when a linearizable read does not complete within a second.
void Router::health(unsigned version, Reply reply) {
  RequestContext ctx = RequestContext::internal();
  ctx.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  etcdserverpb::AlarmRequest alarms;
  alarms.set_action(etcdserverpb::AlarmRequest::GET);
  Host& host = host_;
  // etcd logs why /health failed; so does this.
  auto unhealthy = [&host, version](const Reply& reply, std::string_view why) {
    host.logger().warn("api-http/router.cpp", "/health error", jsonField("reason", why));
    reply(healthResponse(false, version));
  };
  host.maintenance().alarm(
      ctx, alarms,
      [&host, ctx, version, unhealthy, reply = std::move(reply)](
          Status st, etcdserverpb::AlarmResponse&& res) {
        // A kernel that keeps no alarms (Unimplemented) has none active.
        if (!st && st.code() != StatusCode::Unimplemented) return unhealthy(reply, st.message());
        if (res.alarms_size() > 0) return unhealthy(reply, "alarm active");
        if (host.cluster().leaderId() == 0) return unhealthy(reply, "no leader");
        etcdserverpb::RangeRequest read;
        read.set_key("health");
        host.kv().range(ctx, read,
                        [version, unhealthy, reply](Status rs, etcdserverpb::RangeResponse&&) {
                          if (!rs) return unhealthy(reply, "QGET failed: " + rs.message());
                          reply(healthResponse(true, version));
                        });
      });
}

}  // namespace cairn::apihttp
