// HookManager: the scripts of --lua-hooks-dir and their runners.
//
// It owns one control thread that (a) loads the directory again on SIGHUP,
// (b) starts every script's runner when this member becomes leader and
// stops them when it stops being leader. Leadership arrives on the raft
// loop and only sets an atomic; SIGHUP is taken with sigtimedwait, which
// needs it blocked in every thread (kernel/main.cpp blocks it before any
// thread starts), so the control thread polls both every kPollInterval.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "cairn/host.h"
#include "hook_metrics.h"
#include "script.h"
#include "script_runner.h"

namespace cairn::luahooks {

struct HookConfig {
  std::string dir;  // --lua-hooks-dir
  SandboxLimits limits;
};

class HookManager {
 public:
  static constexpr std::chrono::milliseconds kPollInterval{100};

  explicit HookManager(HookConfig config) : config_(std::move(config)) {}
  ~HookManager() { stop(); }

  // Loads every *.lua of the directory (a script that fails is logged and
  // counted, the others load), then follows leadership and SIGHUP. Fails
  // only if the directory cannot be read.
  Status start(Host& host);
  // Stops every runner (recording their progress) and the control thread.
  void stop();

 private:
  struct Loaded {
    std::unique_ptr<Script> script;
    std::unique_ptr<ScriptRunner> runner;  // non-null while running
  };

  void controlLoop();
  // Loads the directory; a script that fails keeps its previous version.
  Status load(bool initial);
  void setRunning(bool running);

  const HookConfig config_;
  Host* host_ = nullptr;  // set by start() before the control thread runs
  std::unique_ptr<HookMetrics> metrics_;
  std::map<std::string, Loaded> scripts_;  // by file name; start(), then the control thread
  bool running_ = false;                   // control thread: runners are started
  std::atomic<bool> leader_{false};        // written by the leadership callback
  std::atomic<bool> stop_{false};          // written by stop()
  std::unique_ptr<Subscription> leadership_;
  std::thread control_;  // started by start(), joined by stop()
};

}  // namespace cairn::luahooks
