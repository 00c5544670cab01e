// Router: what an HTTP/1.x request on a client or metrics URL is answered,
// as etcd's client mux answers it.
//
// Client URLs: /health, /version, /metrics, the JSON gateway under /v3/ and
// /v3beta/; metrics URLs (--listen-metrics-urls): /metrics and /health only.
// Anything else is Go's "404 page not found", except under /v3/ and
// /v3beta/, where the gateway's mux answers "Not Found" (routes this build
// does not serve yet, the streams, included). OPTIONS is answered 200 with
// no body (etcd's CORS handling); every answer carries etcd's CORS headers.
#pragma once

#include "cairn/host.h"
#include "http_types.h"
#include "json_gateway.h"

namespace cairn::apihttp {

// The versions /version reports: the server's (as the kernel reports in
// Status) and the cluster's, which etcd decides as <major>.<minor>.0 of the
// lowest member (one member here).
inline constexpr const char* kServerVersion = "3.4.23";
inline constexpr const char* kClusterVersion = "3.4.0";

class Router {
 public:
  // `gateway` is null on metrics URLs. Both must outlive the router.
  Router(Host& host, JsonGateway* gateway) : host_(host), gateway_(gateway) {}

  // Answers `req` through `reply`, exactly once, possibly on a kernel thread.
  void handle(const Request& req, Reply reply);

  // The JSON gateway on client URLs, null on metrics URLs.
  JsonGateway* gateway() const { return gateway_; }

  // etcd's CORS headers, added to every response.
  static void addCorsHeaders(http::fields& res);

 private:
  void health(unsigned version, Reply reply);

  Host& host_;
  JsonGateway* const gateway_;
};

}  // namespace cairn::apihttp
