// The replicated progress of every handler: bucket "lua-hooks", key the
// handler id, value the last revision it completed (decimal text).
//
// Written only by the HookProgress command's apply handler (the kernel's
// apply loop, every member, in log order, in the entry's own batch); read
// by the leader's runners when they (re)start. The apply keeps the larger
// revision, so a late proposal from a deposed leader never moves progress
// back.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cairn/host.h"
#include "cairn/lua_hooks.pb.h"
#include "cairn/registrar.h"

namespace cairn::luahooks {

inline constexpr std::string_view kProgressBucket = "lua-hooks";

// Declares the bucket and the command.
Status declareProgress(Registrar& registrar);

// The apply handler (exposed for unit tests).
Status applyProgress(ApplyContext& ctx, const HookProgress& cmd, HookProgressResponse* out);

// The recorded progress of `handler` (nullopt: never recorded).
Status readProgress(Host& host, const std::string& handler, std::optional<int64_t>* out);

}  // namespace cairn::luahooks
