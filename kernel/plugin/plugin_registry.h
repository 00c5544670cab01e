// PluginRegistry: everything plugins declared (SDK 3), held by the kernel.
//
// main() creates one, hands each service plugin a Registrar bound to the
// plugin's name (registrarFor) during the declare phase, then seals it. From
// then on it is read-only and read concurrently: the member's apply loop looks
// up command handlers and buckets, frontends look up services and connection
// handlers, every request path asks for the authorizer. Declaring after seal() fails.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cairn/connection.h"
#include "cairn/logger.h"
#include "cairn/registrar.h"
#include "cairn/service.h"
#include "cairn/settings.h"

namespace cairn::plugin {

class PluginRegistry final : public ServiceRegistry, public ConnectionRegistry {
 public:
  PluginRegistry(const Settings& settings, Logger& logger);
  ~PluginRegistry() override;

  // A Registrar whose declarations are owned by `pluginName` (used in
  // error messages and bucket ownership). Valid until the registry dies.
  Registrar& registrarFor(const std::string& pluginName);
  // Ends the declare phase; every later declaration fails.
  void seal();

  // --- read side (after seal, any thread) ---
  struct Command {
    const google::protobuf::Descriptor* type = nullptr;
    ApplyHandler handler;
    std::string plugin;
  };
  // nullptr if no plugin declared a command of this type.
  const Command* command(const google::protobuf::Descriptor* type) const;
  const Command* command(const std::string& fullTypeName) const;
  // The owning plugin's name, or nullptr if no plugin declared the bucket.
  const std::string* bucketOwner(const std::string& bucket) const;
  const std::vector<std::function<Status(storage::ReadTxn&)>>& recoverHooks() const {
    return recoverHooks_;
  }
  // nullptr: no auth plugin, everything is allowed.
  Authorizer* authorizer() const { return authorizer_.get(); }

  // The member's checks before any client call (etcd's interceptors: learner,
  // require-leader), applied to every registered service's handlers. Set
  // once by main between the member's start and the plugins' start, before
  // any frontend serves; constant afterwards.
  using CallGate = std::function<Status(const RequestContext&)>;
  void setCallGate(CallGate gate);

  // ServiceRegistry
  const ServiceDef* find(const std::string& name) const override;
  std::vector<const ServiceDef*> all() const override;

  // ConnectionRegistry
  const ConnectionHandler* connectionHandler(std::string_view protocol) const override;
  bool listenersClaimed() const override { return !listenerOwner_.empty(); }

 private:
  class BoundRegistrar;
  friend class BoundRegistrar;

  Status declareBucket(const std::string& plugin, std::string_view name);
  Status declareCommand(const std::string& plugin, const google::protobuf::Descriptor* type,
                        ApplyHandler handler);
  Status declareRecover(const std::string& plugin, std::function<Status(storage::ReadTxn&)> fn);
  Status declareService(const std::string& plugin, ServiceDef def);
  Status declareAuthorizer(const std::string& plugin, std::shared_ptr<Authorizer> authorizer);
  Status declareConnectionHandler(const std::string& plugin, std::string_view protocol,
                                  ConnectionHandler handler);
  Status declareClientListeners(const std::string& plugin);
  Status checkOpen(const std::string& plugin, const char* what) const;
  Status admit(const RequestContext& ctx) const;

  const Settings& settings_;
  Logger& logger_;
  // Written only during the declare phase (main thread), read-only after
  // seal(); the seal is published to other threads by starting them.
  bool sealed_ = false;
  std::map<std::string, std::unique_ptr<BoundRegistrar>> registrars_;
  std::map<std::string, std::string> buckets_;  // bucket -> plugin
  std::map<const google::protobuf::Descriptor*, Command> commands_;
  std::map<std::string, const google::protobuf::Descriptor*> commandsByName_;
  std::vector<std::function<Status(storage::ReadTxn&)>> recoverHooks_;
  std::map<std::string, ServiceDef> services_;
  std::shared_ptr<Authorizer> authorizer_;
  std::string authorizerPlugin_;
  struct ProtocolServer {
    ConnectionHandler handler;
    std::string plugin;
  };
  std::map<std::string, ProtocolServer, std::less<>> connectionHandlers_;  // by protocol
  std::string listenerOwner_;  // the plugin that claimed the client listeners
  CallGate callGate_;          // see setCallGate
};

}  // namespace cairn::plugin
