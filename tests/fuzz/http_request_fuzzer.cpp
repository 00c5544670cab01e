// libFuzzer target: arbitrary bytes as an HTTP/1.1 request on the client
// port. The bytes go through the protocol sniffer, Beast's parser with the
// server's limits, and, once a request parses, the router and the JSON
// gateway (unary and streaming routes) over the fake kernel of the unit
// tests, whose unscripted methods answer an error. Nothing may crash, leak
// or trip ASan/UBSan.
#include <boost/beast/core/flat_buffer.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "../unit/api_grpc/fake_kernel.h"
#include "http_types.h"
#include "json_gateway.h"
#include "protocol_sniff.h"
#include "router.h"

namespace {

using namespace cairn::apihttp;

struct World {
  cairn::api::test::FakeHost host{{}};
  JsonGateway gateway{host, 1536 * 1024};
  Router router{host, &gateway};
};

World& world() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)sniffProtocol(bytes);

  http::request_parser<http::string_body> parser;
  parser.header_limit(1 << 20);
  parser.body_limit(8 * 1024 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec || !parser.is_done()) return 0;
  Request req = parser.release();

  World& w = world();
  if (w.gateway.isStream(req)) {
    Response error;
    auto stream = w.gateway.openStream(
        req, [] {}, &error);
    if (stream) {
      std::string chunk;
      for (int i = 0; i < 4 && stream->next(&chunk) == GatewayStream::Step::Chunk; ++i) {
      }
    }
    return 0;
  }
  w.router.handle(req, [](Response) {});
  return 0;
}
