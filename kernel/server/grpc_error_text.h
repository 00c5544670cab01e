// How grpc-go prints a status error ("rpc error: code = PermissionDenied
// desc = etcdserver: permission denied"): etcd puts that text where an error
// travels inside a message rather than as the call's status (a refused
// watch's cancel_reason). Any thread.
#pragma once

#include <string>

#include "cairn/status.h"

namespace cairn::server {

std::string grpcErrorText(const Status& st);

}  // namespace cairn::server
