#include "plugin_registry.h"

#include <google/protobuf/descriptor.h>

#include "cairn/storage.h"
#include "refused_stream_call.h"

namespace cairn::plugin {

class PluginRegistry::BoundRegistrar final : public Registrar {
 public:
  BoundRegistrar(PluginRegistry& registry, std::string plugin)
      : registry_(registry), plugin_(std::move(plugin)) {}

  Status bucket(std::string_view name) override { return registry_.declareBucket(plugin_, name); }
  Status command(const google::protobuf::Descriptor* type, ApplyHandler handler) override {
    return registry_.declareCommand(plugin_, type, std::move(handler));
  }
  Status onRecover(std::function<Status(storage::ReadTxn&)> fn) override {
    return registry_.declareRecover(plugin_, std::move(fn));
  }
  Status service(ServiceDef def) override {
    return registry_.declareService(plugin_, std::move(def));
  }
  Status authorizer(std::shared_ptr<Authorizer> authorizer) override {
    return registry_.declareAuthorizer(plugin_, std::move(authorizer));
  }
  Status connectionHandler(std::string_view protocol, ConnectionHandler handler) override {
    return registry_.declareConnectionHandler(plugin_, protocol, std::move(handler));
  }
  Status claimClientListeners() override { return registry_.declareClientListeners(plugin_); }
  const Settings& settings() const override { return registry_.settings_; }
  Logger& logger() override { return registry_.logger_; }

 private:
  PluginRegistry& registry_;
  const std::string plugin_;
};

PluginRegistry::PluginRegistry(const Settings& settings, Logger& logger)
    : settings_(settings), logger_(logger) {}

PluginRegistry::~PluginRegistry() = default;

Registrar& PluginRegistry::registrarFor(const std::string& pluginName) {
  auto& slot = registrars_[pluginName];
  if (!slot) slot = std::make_unique<BoundRegistrar>(*this, pluginName);
  return *slot;
}

void PluginRegistry::seal() {
  sealed_ = true;
}

Status PluginRegistry::checkOpen(const std::string& plugin, const char* what) const {
  if (!sealed_) return Status::ok();
  return Status(StatusCode::FailedPrecondition,
                "plugin " + plugin + ": cannot declare " + what + " after the declare phase");
}

Status PluginRegistry::declareBucket(const std::string& plugin, std::string_view name) {
  if (Status st = checkOpen(plugin, "a bucket"); !st) return st;
  static const std::string_view kKernelBuckets[] = {
      storage::kKeyBucket,
      storage::kMetaBucket,
      storage::kLeaseBucket,
      storage::kMembersBucket,
      storage::kAlarmBucket,
      storage::kMembersRemovedBucket,
      storage::kConfChangesRefusedBucket,
  };
  std::string bucket(name);
  if (bucket.empty()) {
    return Status(StatusCode::InvalidArgument, "plugin " + plugin + ": empty bucket name");
  }
  for (std::string_view kernel : kKernelBuckets) {
    if (kernel == name) {
      return Status(StatusCode::AlreadyExists,
                    "plugin " + plugin + ": bucket \"" + bucket + "\" is the kernel's");
    }
  }
  // etcd's cluster-version bucket: Cairn has none, but an etcd-format
  // snapshot writes etcd's content there, so no plugin may own it. The
  // other etcd buckets are the kernel's or the auth plugin's.
  if (name == "cluster") {
    return Status(StatusCode::AlreadyExists,
                  "plugin " + plugin + ": bucket \"" + bucket + "\" is etcd's");
  }
  auto [it, inserted] = buckets_.emplace(bucket, plugin);
  if (!inserted && it->second != plugin) {
    return Status(StatusCode::AlreadyExists, "plugin " + plugin + ": bucket \"" + bucket +
                                                 "\" is owned by plugin " + it->second);
  }
  return Status::ok();
}

Status PluginRegistry::declareCommand(const std::string& plugin,
                                      const google::protobuf::Descriptor* type,
                                      ApplyHandler handler) {
  if (Status st = checkOpen(plugin, "a command"); !st) return st;
  if (type == nullptr || !handler) {
    return Status(StatusCode::InvalidArgument,
                  "plugin " + plugin + ": a command needs a message type and a handler");
  }
  auto it = commands_.find(type);
  if (it != commands_.end()) {
    return Status(StatusCode::AlreadyExists, "plugin " + plugin + ": command " + type->full_name() +
                                                 " is handled by plugin " + it->second.plugin);
  }
  commands_.emplace(type, Command{type, std::move(handler), plugin});
  commandsByName_.emplace(type->full_name(), type);
  return Status::ok();
}

Status PluginRegistry::declareRecover(const std::string& plugin,
                                      std::function<Status(storage::ReadTxn&)> fn) {
  if (Status st = checkOpen(plugin, "a recover hook"); !st) return st;
  recoverHooks_.push_back([plugin, fn = std::move(fn)](storage::ReadTxn& read) {
    Status st = fn(read);
    if (st) return st;
    return Status(st.code(), "plugin " + plugin + ": recover: " + st.message());
  });
  return Status::ok();
}

Status PluginRegistry::declareService(const std::string& plugin, ServiceDef def) {
  if (Status st = checkOpen(plugin, "a service"); !st) return st;
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(def.name);
  if (descriptor == nullptr) {
    return Status(StatusCode::InvalidArgument,
                  "plugin " + plugin + ": service " + def.name + " is not in the proto library");
  }
  auto checkMethod = [&](const std::string& method, bool streaming) -> Status {
    const google::protobuf::MethodDescriptor* m = descriptor->FindMethodByName(method);
    if (m == nullptr) {
      return Status(StatusCode::InvalidArgument,
                    "plugin " + plugin + ": " + def.name + " has no method " + method);
    }
    const bool isStream = m->client_streaming() || m->server_streaming();
    if (isStream != streaming) {
      return Status(StatusCode::InvalidArgument,
                    "plugin " + plugin + ": " + def.name + "." + method + " is " +
                        (isStream ? "a streaming" : "a unary") + " method");
    }
    return Status::ok();
  };
  for (const auto& [method, _] : def.unary) {
    if (Status st = checkMethod(method, false); !st) return st;
  }
  for (const auto& [method, _] : def.streams) {
    if (Status st = checkMethod(method, true); !st) return st;
  }
  // Every client call passes the member's call gate first (etcd's
  // interceptors run before any service, plugin services included).
  for (auto& [_, handler] : def.unary) {
    handler = [this, inner = std::move(handler)](const RequestContext& ctx,
                                                 const google::protobuf::Message& request,
                                                 MessageDone done) {
      if (Status st = admit(ctx); !st) {
        done(std::move(st), nullptr);
        return;
      }
      inner(ctx, request, std::move(done));
    };
  }
  for (auto& [_, handler] : def.streams) {
    handler = [this, inner = std::move(handler)](
                  const RequestContext& ctx,
                  std::function<void()> onReady) -> std::unique_ptr<StreamCall> {
      if (Status st = admit(ctx); !st) {
        return std::make_unique<RefusedStreamCall>(std::move(st), std::move(onReady));
      }
      return inner(ctx, std::move(onReady));
    };
  }
  std::string name = def.name;
  if (!services_.emplace(name, std::move(def)).second) {
    return Status(StatusCode::AlreadyExists,
                  "plugin " + plugin + ": service " + name + " is registered already");
  }
  return Status::ok();
}

Status PluginRegistry::declareAuthorizer(const std::string& plugin,
                                         std::shared_ptr<Authorizer> authorizer) {
  if (Status st = checkOpen(plugin, "an authorizer"); !st) return st;
  if (!authorizer) {
    return Status(StatusCode::InvalidArgument, "plugin " + plugin + ": null authorizer");
  }
  if (authorizer_) {
    return Status(StatusCode::AlreadyExists,
                  "plugin " + plugin + ": the authorizer is set by plugin " + authorizerPlugin_);
  }
  authorizer_ = std::move(authorizer);
  authorizerPlugin_ = plugin;
  return Status::ok();
}

Status PluginRegistry::declareConnectionHandler(const std::string& plugin,
                                                std::string_view protocol,
                                                ConnectionHandler handler) {
  if (Status st = checkOpen(plugin, "a connection handler"); !st) return st;
  if (protocol.empty() || !handler) {
    return Status(StatusCode::InvalidArgument,
                  "plugin " + plugin + ": a connection handler needs a protocol and a handler");
  }
  auto it = connectionHandlers_.find(protocol);
  if (it != connectionHandlers_.end()) {
    return Status(StatusCode::AlreadyExists, "plugin " + plugin + ": protocol " +
                                                 std::string(protocol) + " is served by plugin " +
                                                 it->second.plugin);
  }
  connectionHandlers_.emplace(std::string(protocol), ProtocolServer{std::move(handler), plugin});
  return Status::ok();
}

Status PluginRegistry::declareClientListeners(const std::string& plugin) {
  if (Status st = checkOpen(plugin, "the client listeners"); !st) return st;
  if (!listenerOwner_.empty() && listenerOwner_ != plugin) {
    return Status(
        StatusCode::AlreadyExists,
        "plugin " + plugin + ": the client listeners are claimed by plugin " + listenerOwner_);
  }
  listenerOwner_ = plugin;
  return Status::ok();
}

const ConnectionHandler* PluginRegistry::connectionHandler(std::string_view protocol) const {
  auto it = connectionHandlers_.find(protocol);
  return it == connectionHandlers_.end() ? nullptr : &it->second.handler;
}

const PluginRegistry::Command* PluginRegistry::command(
    const google::protobuf::Descriptor* type) const {
  auto it = commands_.find(type);
  return it == commands_.end() ? nullptr : &it->second;
}

const PluginRegistry::Command* PluginRegistry::command(const std::string& fullTypeName) const {
  auto it = commandsByName_.find(fullTypeName);
  return it == commandsByName_.end() ? nullptr : command(it->second);
}

const std::string* PluginRegistry::bucketOwner(const std::string& bucket) const {
  auto it = buckets_.find(bucket);
  return it == buckets_.end() ? nullptr : &it->second;
}

void PluginRegistry::setCallGate(CallGate gate) {
  callGate_ = std::move(gate);
}

Status PluginRegistry::admit(const RequestContext& ctx) const {
  return callGate_ ? callGate_(ctx) : Status::ok();
}

const ServiceDef* PluginRegistry::find(const std::string& name) const {
  auto it = services_.find(name);
  return it == services_.end() ? nullptr : &it->second;
}

std::vector<const ServiceDef*> PluginRegistry::all() const {
  std::vector<const ServiceDef*> out;
  for (const auto& [_, def] : services_) out.push_back(&def);
  return out;
}

}  // namespace cairn::plugin
