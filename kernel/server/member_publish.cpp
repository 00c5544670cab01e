#include "member_publish.h"

#include <google/protobuf/util/json_util.h>

#include "member_ids.h"

namespace cairn::server {
namespace {

constexpr std::string_view kMembersPrefix = "/0/members/";
constexpr std::string_view kAttributesSuffix = "/attributes";

}  // namespace

etcdserverpb::InternalRaftRequest publishRequest(uint64_t memberId, const std::string& name,
                                                 const std::vector<std::string>& clientUrls) {
  // etcdserverpb.Member's JSON names are etcd's Attributes JSON names.
  etcdserverpb::Member attrs;
  attrs.set_name(name);
  for (const auto& u : clientUrls) attrs.add_clienturls(u);
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(attrs, &json);
  etcdserverpb::InternalRaftRequest ir;
  etcdserverpb::Request* v2 = ir.mutable_v2();
  v2->set_method("PUT");
  v2->set_path(std::string(kMembersPrefix) + idToHex(memberId) + std::string(kAttributesSuffix));
  v2->set_val(json);
  return ir;
}

Status applyV2Request(const etcdserverpb::Request& req, MemberRegistry& members,
                      storage::WriteBatch* batch) {
  const std::string& path = req.path();
  const bool attributes = req.method() == "PUT" &&
                          path.size() > kMembersPrefix.size() + kAttributesSuffix.size() &&
                          path.compare(0, kMembersPrefix.size(), kMembersPrefix) == 0 &&
                          path.compare(path.size() - kAttributesSuffix.size(),
                                       kAttributesSuffix.size(), kAttributesSuffix) == 0;
  if (!attributes) {
    return Status(StatusCode::Unimplemented,
                  "etcdserver: v2 request " + req.method() + " " + path + " is not supported");
  }
  const std::string hex = path.substr(
      kMembersPrefix.size(), path.size() - kMembersPrefix.size() - kAttributesSuffix.size());
  uint64_t id = 0;
  try {
    std::size_t used = 0;
    id = std::stoull(hex, &used, 16);
    if (used != hex.size()) throw std::invalid_argument(hex);
  } catch (const std::exception&) {
    return Status(StatusCode::InvalidArgument, "etcdserver: bad member id in " + path);
  }
  etcdserverpb::Member attrs;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(req.val(), &attrs, opts).ok()) {
    return Status(StatusCode::InvalidArgument, "etcdserver: bad member attributes in " + path);
  }
  std::vector<std::string> clientUrls(attrs.clienturls().begin(), attrs.clienturls().end());
  if (!members.setAttributes(id, attrs.name(), clientUrls, batch)) {
    // etcd ignores the attributes of a member it removed meanwhile.
    return Status(Error::MemberNotFound);
  }
  return Status::ok();
}

}  // namespace cairn::server
