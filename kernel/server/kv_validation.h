// Request validation of the KV service, done before a request is proposed or
// served, as etcd 3.4's gRPC layer does (v3rpc/key.go), with the errors of
// the catalogue (cairn/errors.h).
#pragma once

#include <cstdint>

#include "cairn/status.h"
#include "etcdserverpb/rpc.pb.h"

namespace cairn::server {

Status checkRangeRequest(const etcdserverpb::RangeRequest& r);
Status checkPutRequest(const etcdserverpb::PutRequest& r);
Status checkDeleteRequest(const etcdserverpb::DeleteRangeRequest& r);
// The op-count and per-op checks, then the duplicate-key checks of the then
// and else branches (etcd's checkTxnRequest followed by checkIntervals).
Status checkTxnRequest(const etcdserverpb::TxnRequest& r, uint32_t maxTxnOps);

}  // namespace cairn::server
