// The HTTP message types every part of the plugin shares (Beast, string
// bodies: requests are bounded by the body limit, responses are small) and
// the responses Go's net/http writes on its own.
#pragma once

#include <boost/beast/http.hpp>
#include <functional>
#include <string>

namespace cairn::apihttp {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
// Called exactly once with the answer; any thread.
using Reply = std::function<void(Response)>;

// A response with `body` and its Content-Type, for HTTP `version` (11, 10).
Response makeResponse(http::status status, unsigned version, std::string contentType,
                      std::string body);
// Go's http.Error: text/plain, nosniff, the text followed by a newline.
Response goHttpError(http::status status, unsigned version, const std::string& text);
// Go's http.NotFound: "404 page not found\n".
Response goNotFound(unsigned version);
// The current time as Go's http.TimeFormat writes the Date header.
std::string httpDate();

}  // namespace cairn::apihttp
