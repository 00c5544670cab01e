// The client-visible request size limit (etcd's --max-request-bytes plus
// gRPC overhead), checked by the services themselves so the error carries
// grpc-go's wording, which etcd clients see from etcd; C++ gRPC words its own
// transport limit differently.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>

#include "cairn/errors.h"

namespace cairn::api {

// RESOURCE_EXHAUSTED if `request` is larger than `maxRequestBytes`.
inline std::optional<grpc::Status> checkRequestSize(const google::protobuf::Message& request,
                                                    int maxRequestBytes) {
  // The parsed size equals the wire size: proto3 keeps unknown fields.
  const size_t size = request.ByteSizeLong();
  if (size <= static_cast<size_t>(maxRequestBytes)) return std::nullopt;
  const Status refused = messageTooLarge(size, static_cast<uint64_t>(maxRequestBytes));
  return grpc::Status(static_cast<grpc::StatusCode>(refused.code()), refused.message());
}

}  // namespace cairn::api
