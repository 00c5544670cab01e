// Cluster: the members and who leads, as this member sees them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/service.h"
#include "etcdserverpb/rpc.pb.h"

namespace cairn {

struct MemberInfo {
  uint64_t id = 0;
  std::string name;  // empty until the member has published itself
  std::vector<std::string> peerUrls;
  std::vector<std::string> clientUrls;
  bool isLearner = false;
};

class Cluster {
 public:
  virtual ~Cluster() = default;
  virtual uint64_t clusterId() const = 0;
  virtual uint64_t memberId() const = 0;
  virtual std::vector<MemberInfo> members() const = 0;
  // 0 when no leader is known.
  virtual uint64_t leaderId() const = 0;
  virtual bool isLeader() const = 0;
  // A response header for `revision` as this member fills it (cluster id,
  // member id, raft term).
  virtual etcdserverpb::ResponseHeader header(int64_t revision) const = 0;

  // etcd's Cluster service. Membership changes go through raft.
  virtual void memberList(const RequestContext& ctx, const etcdserverpb::MemberListRequest& req,
                          Done<etcdserverpb::MemberListResponse> done) = 0;

  // Appended in SDK 4 (keep the order above): the membership changes, each
  // proposed as a raft conf change and answered once applied, with etcd's
  // checks and errors.
  virtual void memberAdd(const RequestContext& ctx, const etcdserverpb::MemberAddRequest& req,
                         Done<etcdserverpb::MemberAddResponse> done) = 0;
  virtual void memberRemove(const RequestContext& ctx, const etcdserverpb::MemberRemoveRequest& req,
                            Done<etcdserverpb::MemberRemoveResponse> done) = 0;
  virtual void memberUpdate(const RequestContext& ctx, const etcdserverpb::MemberUpdateRequest& req,
                            Done<etcdserverpb::MemberUpdateResponse> done) = 0;
  virtual void memberPromote(const RequestContext& ctx,
                             const etcdserverpb::MemberPromoteRequest& req,
                             Done<etcdserverpb::MemberPromoteResponse> done) = 0;
};

}  // namespace cairn
