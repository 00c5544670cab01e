#pragma once

#include <grpcpp/support/status.h>

#include <string>

namespace cairn::bench {

// The canonical name of a gRPC status code ("UNAVAILABLE"), for reports.
std::string statusCodeName(grpc::StatusCode code);

// "CODE: message" of a failed status.
std::string describeStatus(const grpc::Status& status);

}  // namespace cairn::bench
