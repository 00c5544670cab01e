// ScriptContext: what the `cairn` table's functions of one script reach.
//
// Owned by the Script; touched only by the thread running the script's
// sandbox (the loading thread while it loads, then its runner thread).
#pragma once

#include <string>
#include <vector>

#include "cairn/logger.h"
#include "cairn/metrics.h"
#include "kv_gateway.h"

namespace cairn::luahooks {

// One cairn.watch{} registration.
struct HandlerSpec {
  std::string id;        // "<file>#<name>" or "<file>#<position, from 1>"
  std::string key;       // the watched key or range start
  std::string rangeEnd;  // empty: the single key
  bool prevKv = false;
  bool noPut = false;     // filters = {"delete"}
  bool noDelete = false;  // filters = {"put"}
  int functionRef = 0;    // the handler, in the state's registry
  int line = 0;           // where cairn.watch was called
};

struct ScriptContext {
  std::string chunkName;       // the script's file name, as messages show it
  Logger* logger = nullptr;    // never null
  Metrics* metrics = nullptr;  // null when only checking a script
  KvGateway* kv = nullptr;     // set only while a handler runs
  bool loading = false;        // the top level is running: cairn.watch allowed
  std::vector<HandlerSpec> handlers;
};

}  // namespace cairn::luahooks
