// The auth plugin: etcd's users, roles and permissions (loaded by default).
//
//   declare()  the buckets auth/authUsers/authRoles and the auth commands
//              (auth_commands.cpp), the recover hook, the Auth service and
//              the Authorizer every request is checked with
//              (access_control.h); the token provider from --auth-token,
//              the password hasher from --bcrypt-cost.
//   start()    the service's worker thread (bcrypt) and the Host.
//   stop()     joins it.
// With auth disabled (etcd's default) every check is one atomic load.
#include <chrono>
#include <memory>

#include "access_control.h"
#include "auth_commands.h"
#include "auth_service.h"
#include "auth_store.h"
#include "cairn/plugin.h"
#include "jwt_tokens.h"
#include "password_hasher.h"
#include "simple_tokens.h"
#include "token_options.h"

namespace cairn::auth {
namespace {

constexpr const char* kCaller = "auth/auth_plugin.cpp";

class AuthPlugin final : public ServicePlugin {
 public:
  Status declare(Registrar& registrar) override {
    if (Status st = configure(registrar.settings(), registrar.logger()); !st) return st;
    store_ = std::make_unique<AuthStore>(*hasher_, *tokens_);
    service_ = std::make_unique<AuthService>(*store_, *tokens_);
    if (Status st = declareCommands(registrar, *store_); !st) return st;
    if (Status st = registrar.service(service_->definition()); !st) return st;
    return registrar.authorizer(std::make_shared<AccessControl>(*store_, *tokens_));
  }

  Status start(Host& host) override {
    service_->start(host);
    host.logger().info(kCaller, "serving etcdserverpb.Auth",
                       jsonField("auth-enabled", store_->enabled() ? "true" : "false"));
    return Status::ok();
  }

  void stop() override { service_->stop(); }

 private:
  Status configure(const Settings& settings, Logger& logger) {
    uint64_t cost = PasswordHasher::kFallbackCost;
    if (Status st = settings.uint64("bcrypt-cost", &cost); !st) return st;
    if (cost < PasswordHasher::kMinCost || cost > PasswordHasher::kMaxCost) {
      logger.warn(kCaller, "use default bcrypt cost instead of the invalid given cost",
                  jsonField("given-cost", std::to_string(cost)));
    }
    hasher_ = std::make_unique<PasswordHasher>(static_cast<unsigned>(cost));

    TokenOptions options;
    const std::string text = settings.raw("auth-token").value_or("");
    if (Status st = parseTokenOptions(text, &options); !st) return st;
    if (options.type == "simple") {
      uint64_t ttl = 0;
      if (Status st = settings.uint64("auth-token-ttl", &ttl); !st) return st;
      logger.warn(kCaller, "simple token is not cryptographically signed");
      tokens_ = std::make_unique<SimpleTokens>(std::chrono::seconds(ttl));
      return Status::ok();
    }
    if (options.type == "jwt") {
      std::unique_ptr<JwtTokens> jwt;
      if (Status st = JwtTokens::create(options.options, settings, &jwt); !st) return st;
      tokens_ = std::move(jwt);
      return Status::ok();
    }
    // etcd's empty type ("no tokens") and unknown types refuse to start.
    return Status(StatusCode::InvalidArgument,
                  "auth: invalid auth options (unknown token type \"" + options.type + "\")");
  }

  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<TokenProvider> tokens_;
  std::unique_ptr<AuthStore> store_;
  std::unique_ptr<AuthService> service_;
};

Plugin* create() {
  return new AuthPlugin();
}
void destroy(Plugin* plugin) {
  delete plugin;
}

constexpr PluginDescriptor kDescriptor{kPluginAbiVersion, "auth", PluginKind::Auth, &create,
                                       &destroy};

}  // namespace
}  // namespace cairn::auth

CAIRN_PLUGIN_EXPORT const cairn::PluginDescriptor* cairn_plugin_v1() {
  return &cairn::auth::kDescriptor;
}
