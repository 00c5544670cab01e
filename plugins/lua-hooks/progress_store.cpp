#include "progress_store.h"

#include <charconv>

namespace cairn::luahooks {
namespace {

bool parseRevision(std::string_view text, int64_t* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

Status corrupt(const std::string& handler) {
  return Status(StatusCode::DataLoss,
                "lua-hooks: progress of handler \"" + handler + "\" is not a revision");
}

}  // namespace

Status declareProgress(Registrar& registrar) {
  if (Status st = registrar.bucket(kProgressBucket); !st) return st;
  return registrar.command<HookProgress, HookProgressResponse>(
      [](ApplyContext& ctx, const HookProgress& cmd, HookProgressResponse* out) {
        return applyProgress(ctx, cmd, out);
      });
}

Status applyProgress(ApplyContext& ctx, const HookProgress& cmd, HookProgressResponse* out) {
  if (cmd.handler().empty() || cmd.revision() < 0) {
    return Status(StatusCode::InvalidArgument,
                  "lua-hooks: progress needs a handler and a revision");
  }
  int64_t current = -1;
  if (std::optional<std::string> stored = ctx.read->get(kProgressBucket, cmd.handler())) {
    if (!parseRevision(*stored, &current)) return corrupt(cmd.handler());
  }
  const int64_t next = std::max(current, cmd.revision());
  if (next != current) ctx.batch->put(kProgressBucket, cmd.handler(), std::to_string(next));
  out->set_revision(next);
  return Status::ok();
}

Status readProgress(Host& host, const std::string& handler, std::optional<int64_t>* out) {
  out->reset();
  std::unique_ptr<storage::ReadTxn> read = host.read();
  std::optional<std::string> stored = read->get(kProgressBucket, handler);
  if (!stored) return Status::ok();
  int64_t revision = 0;
  if (!parseRevision(*stored, &revision)) return corrupt(handler);
  *out = revision;
  return Status::ok();
}

}  // namespace cairn::luahooks
