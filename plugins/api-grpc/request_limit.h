// The client-visible request size limit (etcd's --max-request-bytes plus
// gRPC overhead), checked by the services themselves so the error carries
// grpc-go's wording, which etcd clients see from etcd; C++ gRPC words its own
// transport limit differently.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>

namespace cairn::api {

// RESOURCE_EXHAUSTED if `request` is larger than `maxRequestBytes`.
inline std::optional<grpc::Status> checkRequestSize(const google::protobuf::Message& request,
                                                    int maxRequestBytes) {
  // The parsed size equals the wire size: proto3 keeps unknown fields.
  const size_t size = request.ByteSizeLong();
  if (size <= static_cast<size_t>(maxRequestBytes)) return std::nullopt;
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "grpc: received message larger than max (" + std::to_string(size) + " vs. " +
                          std::to_string(maxRequestBytes) + ")");
}

}  // namespace cairn::api
