// Registrar: what a plugin declares before the member recovers.
//
// ServicePlugin::declare(Registrar&) runs before the member opens its storage
// and replays the write-ahead log, so a plugin's apply handlers see every
// replicated command, replayed ones included, and its recover hook (run once
// the storage is open, before any entry is applied) can rebuild in-memory
// state from its buckets first. Declarations are only accepted during
// declare(); afterwards every method fails with FailedPrecondition.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <functional>
#include <memory>
#include <string_view>

#include "cairn/authorizer.h"
#include "cairn/connection.h"
#include "cairn/logger.h"
#include "cairn/request_context.h"
#include "cairn/service.h"
#include "cairn/settings.h"
#include "cairn/status.h"
#include "cairn/storage.h"

namespace cairn {

// What an apply handler may use. Valid only during the handler call.
struct ApplyContext {
  uint64_t index = 0;      // the raft index of the entry
  const AuthInfo* caller;  // the proposer's identity, from the entry's header
  // Reads the state as of the previous entry (this entry's writes are not
  // visible until it is applied).
  storage::ReadTxn* read;
  // Committed atomically with the rest of the entry and its consistent
  // index: either all of it survives a crash or none. Only the plugin's
  // declared buckets may be written.
  storage::WriteBatch* batch;
};

// Applies one replicated command. Runs on the kernel's apply loop, in log
// order, on every member, and again (with the same input) for entries
// replayed from the WAL above the backend's consistent index: it must be
// deterministic and must not block. A non-OK status is the proposer's
// answer; the batch is still committed (write nothing before failing).
// `response` may be left empty when the command answers nothing.
using ApplyHandler =
    std::function<Status(ApplyContext& ctx, const google::protobuf::Message& command,
                         std::unique_ptr<google::protobuf::Message>* response)>;

class Registrar {
 public:
  virtual ~Registrar() = default;

  // A bucket this plugin owns (AlreadyExists if another plugin owns it or the
  // kernel uses it).
  virtual Status bucket(std::string_view name) = 0;

  // A replicated command: a message of `type` proposed with Host::propose()
  // is applied by `handler` on every member. Types that etcd's
  // InternalRaftRequest has a field for (the auth_* requests) travel in that
  // field, as etcd writes them; any other type travels as a Cairn plugin
  // command. AlreadyExists if the type has a handler.
  virtual Status command(const google::protobuf::Descriptor* type, ApplyHandler handler) = 0;
  template <typename Command, typename Response, typename Fn>
  Status command(Fn fn) {
    return command(Command::descriptor(),
                   [fn = std::move(fn)](ApplyContext& ctx, const google::protobuf::Message& msg,
                                        std::unique_ptr<google::protobuf::Message>* response) {
                     auto typed = std::make_unique<Response>();
                     Status st = fn(ctx, static_cast<const Command&>(msg), typed.get());
                     *response = std::move(typed);
                     return st;
                   });
  }

  // Runs once the backend is open, before any entry is applied; `read` sees
  // the recovered state. For plugins that keep state in memory.
  virtual Status onRecover(std::function<Status(storage::ReadTxn& read)> fn) = 0;

  // A service every frontend serves (AlreadyExists if registered before).
  virtual Status service(ServiceDef def) = 0;

  // The authorizer of every request (AlreadyExists if one is set).
  virtual Status authorizer(std::shared_ptr<Authorizer> authorizer) = 0;

  // Serves connections of `protocol` (an ALPN name: "h2") that the owner of
  // the client listeners accepted (cairn/connection.h). AlreadyExists if
  // another plugin serves the protocol; InvalidArgument for an empty name or
  // handler.
  virtual Status connectionHandler(std::string_view protocol, ConnectionHandler handler) = 0;
  // This plugin binds every client URL and hands each connection whose
  // protocol it does not serve itself to that protocol's handler; a
  // protocol server then binds nothing. AlreadyExists if another plugin
  // claimed them.
  virtual Status claimClientListeners() = 0;

  virtual const Settings& settings() const = 0;
  virtual Logger& logger() = 0;
};

}  // namespace cairn
