#include "plugin_applier.h"

#include "cairn/registrar.h"
#include "fatal.h"
#include "mvcc/write_txn.h"

namespace cairn::server {
namespace {

constexpr const char* kCaller = "server/plugin_applier.cpp";

}  // namespace

Status PluginApplier::checkBuckets(const std::string& plugin,
                                   const storage::WriteBatch& batch) const {
  for (const auto& op : batch.ops()) {
    const std::string* owner = registry_.bucketOwner(op.bucket);
    if (owner == nullptr || *owner != plugin) {
      return Status(StatusCode::FailedPrecondition,
                    "cairn: plugin " + plugin + " wrote to bucket \"" + op.bucket +
                        "\", which it did not declare; the command was not applied");
    }
  }
  return Status::ok();
}

void PluginApplier::apply(const ApplyRequest& req, ApplyOutcome* out) {
  const plugin::PluginRegistry::Command* command = registry_.command(req.request->GetDescriptor());
  if (command == nullptr) {
    // Written by a member whose plugins declared this type; this one's do
    // not (or the payload does not parse). The index is still consumed.
    const std::string type = req.entry.has_cairn_plugin_command()
                                 ? req.entry.cairn_plugin_command().type()
                                 : req.request->GetDescriptor()->full_name();
    out->result.status =
        Status(StatusCode::Unimplemented, "cairn: no plugin applies commands of type " + type);
    logger_.error(
        kCaller, "skipping a committed plugin command no plugin applies",
        jsonField("index", static_cast<long long>(req.index)) + "," + jsonField("type", type));
    return;
  }

  std::unique_ptr<mvcc::WriteTxn> txn = store_.write();
  std::unique_ptr<storage::ReadTxn> read = backend_.beginRead();
  const AuthInfo caller{req.entry.header().username(), req.entry.header().auth_revision()};
  ApplyContext ctx;
  ctx.index = req.index;
  ctx.caller = &caller;
  ctx.read = read.get();
  ctx.batch = &txn->batch();
  std::unique_ptr<google::protobuf::Message> response;
  Status st = command->handler(ctx, *req.request, &response);
  read.reset();

  if (Status refused = checkBuckets(command->plugin, txn->batch()); !refused) {
    // The transaction is dropped unwritten; the loop records the index.
    logger_.error(kCaller, "refused a plugin command's write",
                  jsonField("index", static_cast<long long>(req.index)) + "," +
                      jsonField("error", refused.message()));
    out->result.status = std::move(refused);
    return;
  }
  // The plugin's in-memory state may already reflect the command: a batch
  // that cannot be committed would leave it ahead of the backend, so the
  // member stops and recovers both from the WAL.
  if (Status cst = txn->end(req.index); !cst) {
    fatal(logger_, kCaller, "cannot commit a plugin command",
          jsonField("plugin", command->plugin) + "," + jsonField("error", cst.message()));
  }
  out->result.status = std::move(st);
  if (out->result.status) out->result.response = std::move(response);
}

}  // namespace cairn::server
