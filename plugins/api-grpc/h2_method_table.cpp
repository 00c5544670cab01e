#include "h2_method_table.h"

#include <google/protobuf/descriptor.h>

#include "etcdserverpb/rpc.pb.h"
#include "maintenance_grpc_service.h"

namespace cairn::api {

namespace pb = etcdserverpb;

namespace {

// Adds `name` to `def`, forwarding to the kernel interface's method `fn`;
// the request and response types come from `fn`.
template <typename Service, typename Request, typename Response>
void forward(ServiceDef& def, const std::string& name, Service& service,
             void (Service::*fn)(const RequestContext&, const Request&, Done<Response>)) {
  def.method<Request, Response>(
      name, [&service, fn](const RequestContext& ctx, const Request& req, Done<Response> done) {
        (service.*fn)(ctx, req, std::move(done));
      });
}

ServiceDef kvService(KvService& kv) {
  ServiceDef def;
  def.name = "etcdserverpb.KV";
  forward(def, "Range", kv, &KvService::range);
  forward(def, "Put", kv, &KvService::put);
  forward(def, "DeleteRange", kv, &KvService::deleteRange);
  forward(def, "Txn", kv, &KvService::txn);
  forward(def, "Compact", kv, &KvService::compact);
  return def;
}

ServiceDef leaseService(LeaseService& lease) {
  ServiceDef def;
  def.name = "etcdserverpb.Lease";
  forward(def, "LeaseGrant", lease, &LeaseService::grant);
  forward(def, "LeaseRevoke", lease, &LeaseService::revoke);
  forward(def, "LeaseTimeToLive", lease, &LeaseService::timeToLive);
  forward(def, "LeaseLeases", lease, &LeaseService::leases);
  return def;
}

ServiceDef clusterService(Cluster& cluster) {
  ServiceDef def;
  def.name = "etcdserverpb.Cluster";
  forward(def, "MemberAdd", cluster, &Cluster::memberAdd);
  forward(def, "MemberRemove", cluster, &Cluster::memberRemove);
  forward(def, "MemberUpdate", cluster, &Cluster::memberUpdate);
  forward(def, "MemberList", cluster, &Cluster::memberList);
  forward(def, "MemberPromote", cluster, &Cluster::memberPromote);
  return def;
}

ServiceDef maintenanceService(Maintenance& m) {
  ServiceDef def = MaintenanceGrpcService::snapshotService(m);
  forward(def, "Alarm", m, &Maintenance::alarm);
  forward(def, "Status", m, &Maintenance::status);
  forward(def, "Defragment", m, &Maintenance::defragment);
  forward(def, "Hash", m, &Maintenance::hash);
  forward(def, "HashKV", m, &Maintenance::hashKv);
  forward(def, "MoveLeader", m, &Maintenance::moveLeader);
  return def;
}

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
  const auto it = byPath_.find(path);
  return it == byPath_.end() ? nullptr : &it->second;
}

}  // namespace cairn::api
