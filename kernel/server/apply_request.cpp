#include "apply_request.h"

#include <google/protobuf/reflection.h>

#include <vector>

namespace cairn::server {

using etcdserverpb::InternalRaftRequest;

DecodedRequest decodeRequest(const InternalRaftRequest& entry,
                             const plugin::PluginRegistry& registry) {
  DecodedRequest out;
  if (entry.has_put() && !entry.has_v2() && !entry.has_range()) {
    // The common entry, found without listing the fields by reflection (the
    // loop below would pick the same field: the set message of lowest number).
    static const google::protobuf::FieldDescriptor* const kPut =
        InternalRaftRequest::descriptor()->FindFieldByNumber(InternalRaftRequest::kPutFieldNumber);
    out.field = kPut;
    out.request = &entry.put();
    return out;
  }
  // Reused across entries: the apply loop decodes one entry at a time, and
  // the hot path should not allocate for it.
  thread_local std::vector<const google::protobuf::FieldDescriptor*> fields;
  fields.clear();
  entry.GetReflection()->ListFields(entry, &fields);
  for (const auto* f : fields) {
    if (f->number() == InternalRaftRequest::kHeaderFieldNumber ||
        f->number() == InternalRaftRequest::kIDFieldNumber ||
        f->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
      continue;
    }
    out.field = f;
    out.request = &entry.GetReflection()->GetMessage(entry, f);
    break;
  }
  if (out.field == nullptr ||
      out.field->number() != InternalRaftRequest::kCairnPluginCommandFieldNumber) {
    return out;
  }
  const cairn::PluginCommand& pc = entry.cairn_plugin_command();
  const plugin::PluginRegistry::Command* command = registry.command(pc.type());
  if (command == nullptr) return out;
  const google::protobuf::Message* prototype =
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(command->type);
  if (prototype == nullptr) return out;
  std::unique_ptr<google::protobuf::Message> decoded(prototype->New());
  if (!decoded->ParseFromString(pc.payload())) return out;
  out.owned = std::move(decoded);
  out.request = out.owned.get();
  return out;
}

const google::protobuf::FieldDescriptor* raftRequestFieldFor(
    const google::protobuf::Descriptor* type) {
  const google::protobuf::Descriptor* d = InternalRaftRequest::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->number() == InternalRaftRequest::kHeaderFieldNumber ||
        f->number() == InternalRaftRequest::kCairnPluginCommandFieldNumber) {
      continue;
    }
    if (f->message_type() == type) return f;
  }
  return nullptr;
}

}  // namespace cairn::server
