// describeBindFailure: why a listen address cannot be bound, in Go's words.
//
// gRPC's ServerBuilder only reports that a port failed (it logs the errno to
// stderr, outside the member's log). After a failed start the plugin binds
// each address once more itself to recover the reason, and words it as Go's
// net.Listen does ("listen tcp 127.0.0.1:2379: bind: address already in use"),
// the message operators and scripts know from etcd.
#pragma once

#include <optional>
#include <string>

#include "listen_url.h"

namespace cairn::api {

// The failure for `address`, or nullopt if it can be bound right now.
std::optional<std::string> describeBindFailure(const ListenAddress& address);

}  // namespace cairn::api
