// Member URLs as etcd accepts them: scheme http, https, unix or unixs, an
// authority of the form host:port, and nothing after it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/settings.h"
#include "cairn/status.h"

namespace cairn::config {

// The SDK's URL type (plugins read URLs through Settings); this file holds
// its one parser.
using Url = cairn::Url;

// Parses one URL; fails with InvalidArgument and etcd's error text for it.
Status parseUrl(std::string_view text, Url* out);
// Parses a comma-separated list; sorted by text and de-duplicated the way
// etcd's URL flags store them. An empty list is an error, as in etcd.
Status parseUrlList(std::string_view text, std::vector<Url>* out);
std::string joinUrls(const std::vector<Url>& urls);

// etcd's binding rule for listen URLs: the host is an IP literal or
// "localhost" (unix sockets excepted); InvalidArgument with etcd's words
// otherwise.
Status checkBindUrl(const Url& url);

}  // namespace cairn::config
