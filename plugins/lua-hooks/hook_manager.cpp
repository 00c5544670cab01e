#include "hook_manager.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <vector>

namespace cairn::luahooks {
namespace {

constexpr const char* kCaller = "lua-hooks/hook_manager.cpp";

Status listScripts(const std::string& dir, std::vector<std::filesystem::path>* out) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    return Status(StatusCode::InvalidArgument,
                  "lua-hooks: cannot read --lua-hooks-dir " + dir + ": " + ec.message());
  }
  for (const auto& entry : it) {
    if (entry.path().extension() == ".lua" && entry.is_regular_file(ec))
      out->push_back(entry.path());
  }
  std::sort(out->begin(), out->end());
  return Status::ok();
}

}  // namespace

Status HookManager::start(Host& host) {
  host_ = &host;
  metrics_ = std::make_unique<HookMetrics>(&host.metrics());
  if (Status st = load(true); !st) return st;
  leadership_ = host.events().subscribeLeadership(
      [this](const Leadership& l) { leader_.store(l.isLeader, std::memory_order_release); });
  control_ = std::thread([this] { controlLoop(); });
  return Status::ok();
}

void HookManager::stop() {
  if (stop_.exchange(true)) return;
  leadership_.reset();
  if (control_.joinable()) control_.join();
  setRunning(false);
}

void HookManager::controlLoop() {
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  sigset_t blocked;
  pthread_sigmask(SIG_BLOCK, nullptr, &blocked);
  const bool canReload = sigismember(&blocked, SIGHUP) == 1;
  if (!canReload) {
    host_->logger().warn(kCaller, "SIGHUP is not blocked in this process; reload by SIGHUP is off");
  }
  const timespec wait{0, std::chrono::nanoseconds(kPollInterval).count()};
  while (!stop_.load(std::memory_order_acquire)) {
    bool reload = false;
    if (canReload) {
      reload = sigtimedwait(&hup, nullptr, &wait) == SIGHUP;
    } else {
      std::this_thread::sleep_for(kPollInterval);
    }
    if (stop_.load(std::memory_order_acquire)) break;
    if (reload) {
      host_->logger().info(kCaller, "SIGHUP: reloading Lua hook scripts",
                           jsonField("dir", config_.dir));
      if (Status st = load(false); !st) {
        host_->logger().error(kCaller, "cannot reload Lua hook scripts",
                              jsonField("error", st.message()));
      }
    }
    setRunning(leader_.load(std::memory_order_acquire));
  }
}

Status HookManager::load(bool initial) {
  std::vector<std::filesystem::path> files;
  if (Status st = listScripts(config_.dir, &files); !st) return st;
  ScriptEnv env{&host_->logger(), &host_->metrics(), config_.limits};
  std::map<std::string, Loaded> next;
  int failed = 0;
  std::vector<std::string> names;
  for (const auto& path : files) {
    const std::string name = path.filename().string();
    CallResult error;
    std::unique_ptr<Script> script = Script::load(path.string(), env, &error);
    auto previous = scripts_.find(name);
    if (script == nullptr) {
      ++failed;
      metrics_->error(name, error.kind);
      const bool keep = previous != scripts_.end();
      host_->logger().error(kCaller,
                            keep ? "Lua hook script failed to load; its previous version keeps "
                                   "running"
                                 : "Lua hook script failed to load",
                            jsonField("script", name) + "," + jsonField("error", error.message) +
                                "," + jsonField("kind", failureKindName(error.kind)));
      if (keep) next.emplace(name, std::move(previous->second));
      continue;
    }
    std::vector<std::string> ids;
    for (const HandlerSpec& h : script->handlers()) ids.push_back(h.id);
    host_->logger().info(kCaller, "loaded Lua hook script",
                         jsonField("script", name) + "," + jsonArrayField("handlers", ids));
    names.push_back(name);
    // The old version stops (recording its progress) before the new one
    // can start from it.
    if (previous != scripts_.end() && previous->second.runner) previous->second.runner->stop();
    next.emplace(name, Loaded{std::move(script), nullptr});
  }
  // Scripts whose file is gone stop here.
  for (auto& [name, loaded] : scripts_) {
    if (loaded.runner && next.find(name) == next.end()) loaded.runner->stop();
  }
  scripts_ = std::move(next);
  // Kept versions still run; new ones start now if this member leads.
  if (running_) setRunning(true);
  metrics_->scripts(static_cast<int>(scripts_.size()), failed);
  host_->logger().info(kCaller, initial ? "Lua hooks loaded" : "Lua hooks reloaded",
                       jsonField("dir", config_.dir) + "," + jsonArrayField("loaded", names) + "," +
                           jsonField("failed", static_cast<long long>(failed)));
  return Status::ok();
}

void HookManager::setRunning(bool running) {
  if (running) {
    for (auto& [name, loaded] : scripts_) {
      if (loaded.runner) continue;
      loaded.runner = std::make_unique<ScriptRunner>(*host_, *loaded.script, *metrics_);
      loaded.runner->start();
    }
  } else if (running_) {
    for (auto& [name, loaded] : scripts_) {
      if (loaded.runner) loaded.runner->stop();
      loaded.runner.reset();
    }
  }
  if (running != running_) {
    host_->logger().info(kCaller, running ? "leading: Lua hook handlers run"
                                          : "not leading: Lua hook handlers stopped");
  }
  running_ = running;
}

}  // namespace cairn::luahooks
