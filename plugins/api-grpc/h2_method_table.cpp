#include "h2_method_table.h"

#include <google/protobuf/descriptor.h>

#include "etcdserverpb/rpc.pb.h"
#include "maintenance_grpc_service.h"

namespace cairn::api {

namespace pb = etcdserverpb;

namespace {

// A ServiceDef method forwarding to `fn(service, ctx, request, done)`.
#define CAIRN_H2_FORWARD(obj, call)                               \
  [&obj](const RequestContext& ctx, const auto& req, auto done) { \
    obj.call(ctx, req, std::move(done));                          \
  }

ServiceDef kvService(KvService& kv) {
  ServiceDef def;
  def.name = "etcdserverpb.KV";
  def.method<pb::RangeRequest, pb::RangeResponse>("Range", CAIRN_H2_FORWARD(kv, range));
  def.method<pb::PutRequest, pb::PutResponse>("Put", CAIRN_H2_FORWARD(kv, put));
  def.method<pb::DeleteRangeRequest, pb::DeleteRangeResponse>("DeleteRange",
                                                              CAIRN_H2_FORWARD(kv, deleteRange));
  def.method<pb::TxnRequest, pb::TxnResponse>("Txn", CAIRN_H2_FORWARD(kv, txn));
  def.method<pb::CompactionRequest, pb::CompactionResponse>("Compact",
                                                            CAIRN_H2_FORWARD(kv, compact));
  return def;
}

ServiceDef leaseService(LeaseService& lease) {
  ServiceDef def;
  def.name = "etcdserverpb.Lease";
  def.method<pb::LeaseGrantRequest, pb::LeaseGrantResponse>("LeaseGrant",
                                                            CAIRN_H2_FORWARD(lease, grant));
  def.method<pb::LeaseRevokeRequest, pb::LeaseRevokeResponse>("LeaseRevoke",
                                                              CAIRN_H2_FORWARD(lease, revoke));
  def.method<pb::LeaseTimeToLiveRequest, pb::LeaseTimeToLiveResponse>(
      "LeaseTimeToLive", CAIRN_H2_FORWARD(lease, timeToLive));
  def.method<pb::LeaseLeasesRequest, pb::LeaseLeasesResponse>("LeaseLeases",
                                                              CAIRN_H2_FORWARD(lease, leases));
  return def;
}

ServiceDef clusterService(Cluster& cluster) {
  ServiceDef def;
  def.name = "etcdserverpb.Cluster";
  def.method<pb::MemberAddRequest, pb::MemberAddResponse>("MemberAdd",
                                                          CAIRN_H2_FORWARD(cluster, memberAdd));
  def.method<pb::MemberRemoveRequest, pb::MemberRemoveResponse>(
      "MemberRemove", CAIRN_H2_FORWARD(cluster, memberRemove));
  def.method<pb::MemberUpdateRequest, pb::MemberUpdateResponse>(
      "MemberUpdate", CAIRN_H2_FORWARD(cluster, memberUpdate));
  def.method<pb::MemberListRequest, pb::MemberListResponse>("MemberList",
                                                            CAIRN_H2_FORWARD(cluster, memberList));
  def.method<pb::MemberPromoteRequest, pb::MemberPromoteResponse>(
      "MemberPromote", CAIRN_H2_FORWARD(cluster, memberPromote));
  return def;
}

ServiceDef maintenanceService(Maintenance& m) {
  ServiceDef def = MaintenanceGrpcService::snapshotService(m);
  def.method<pb::AlarmRequest, pb::AlarmResponse>("Alarm", CAIRN_H2_FORWARD(m, alarm));
  def.method<pb::StatusRequest, pb::StatusResponse>("Status", CAIRN_H2_FORWARD(m, status));
  def.method<pb::DefragmentRequest, pb::DefragmentResponse>("Defragment",
                                                            CAIRN_H2_FORWARD(m, defragment));
  def.method<pb::HashRequest, pb::HashResponse>("Hash", CAIRN_H2_FORWARD(m, hash));
  def.method<pb::HashKVRequest, pb::HashKVResponse>("HashKV", CAIRN_H2_FORWARD(m, hashKv));
  def.method<pb::MoveLeaderRequest, pb::MoveLeaderResponse>("MoveLeader",
                                                            CAIRN_H2_FORWARD(m, moveLeader));
  return def;
}

#undef CAIRN_H2_FORWARD

const google::protobuf::Message* prototypeOf(const google::protobuf::Descriptor* type) {
  return google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
}

}  // namespace

H2MethodTable::H2MethodTable(Host& host, GrpcCallMetrics* metrics) {
  own_.push_back(kvService(host.kv()));
  own_.push_back(leaseService(host.lease()));
  own_.push_back(clusterService(host.cluster()));
  own_.push_back(maintenanceService(host.maintenance()));
  H2Method watch;
  watch.kind = H2Method::Kind::Watch;
  watch.fullName = "etcdserverpb.Watch.Watch";
  watch.failure = "watch request";
  byPath_["/etcdserverpb.Watch/Watch"] = watch;
  H2Method keepAlive;
  keepAlive.kind = H2Method::Kind::LeaseKeepAlive;
  keepAlive.request = &pb::LeaseKeepAliveRequest::default_instance();
  keepAlive.fullName = "etcdserverpb.Lease.LeaseKeepAlive";
  keepAlive.failure = "lease keep-alive";
  byPath_["/etcdserverpb.Lease/LeaseKeepAlive"] = keepAlive;
  const char* const labels[] = {"kv", "lease", "cluster", "maintenance"};
  for (std::size_t i = 0; i < own_.size(); ++i) add(own_[i], labels[i]);
  // Registered services never replace the built-in ones.
  for (const ServiceDef* def : host.services().all()) add(*def, "");
  if (metrics != nullptr) {
    for (auto& [path, method] : byPath_) method.counters = metrics->takeOver(path);
  }
}

void H2MethodTable::add(const ServiceDef& def, const std::string& label) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  // The registry checked at declare time that every method exists in the
  // generated pool with the right shape.
  for (const auto& [name, handler] : def.unary) {
    const auto* method = pool->FindMethodByName(def.name + "." + name);
    if (method == nullptr) continue;
    H2Method m;
    m.kind = H2Method::Kind::Unary;
    m.request = prototypeOf(method->input_type());
    m.response = method->output_type();
    m.fullName = method->full_name();
    m.failure = (label.empty() ? method->full_name() : label) + " request";
    m.unary = &handler;
    byPath_.emplace("/" + def.name + "/" + name, m);
  }
  for (const auto& [name, handler] : def.streams) {
    const auto* method = pool->FindMethodByName(def.name + "." + name);
    if (method == nullptr) continue;
    H2Method m;
    m.kind = H2Method::Kind::Stream;
    m.request = prototypeOf(method->input_type());
    m.fullName = method->full_name();
    m.failure = method->full_name() + " stream";
    m.stream = &handler;
    byPath_.emplace("/" + def.name + "/" + name, m);
  }
}

const H2Method* H2MethodTable::find(std::string_view path) const {
  const auto it = byPath_.find(std::string(path));
  return it == byPath_.end() ? nullptr : &it->second;
}

}  // namespace cairn::api
