#pragma once

#include <grpcpp/channel.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "etcdserverpb/rpc.grpc.pb.h"
#include "run_clock.h"
#include "watch_options.h"
#include "watch_plan.h"

namespace cairn::bench {

// What the server answered to one planned write.
struct WriteOutcome {
  bool done = false;
  std::int64_t revision = 0;  // header revision of the response
  std::int64_t sentMicros = 0;
  std::int64_t ackMicros = 0;
  // Per op: keys the server reports deleted (deletes), -1 for puts. A write
  // that deleted nothing did not create a revision.
  std::vector<std::int64_t> deleted;

  bool changed(const WriteSpec& spec) const;
};

// Issues planned writes with a fixed number in flight (one thread each,
// unary blocking calls: the writer is not what is being measured, and a
// handful of threads is cheap) and records send/ack times and revisions.
class WatchWriter {
 public:
  WatchWriter(const WatchOptions& options, const RunClock& clock,
              const std::vector<std::shared_ptr<grpc::Channel>>& channels);

  // Deletes every key under the prefix; returns the revision after it.
  bool clearPrefix(const std::string& prefix, std::int64_t* revision, std::string* error);

  // Issues writes [first, last) of `writes` into `outcomes` (same indexes).
  // With rate > 0, write first+i is not sent before start + i/rate. Stops
  // at the first failed write: the model cannot know whether it applied.
  bool run(const std::vector<WriteSpec>& writes, std::size_t first, std::size_t last, double rate,
           std::vector<WriteOutcome>& outcomes, std::string* error);

 private:
  grpc::Status issue(etcdserverpb::KV::Stub& stub, const WriteSpec& spec, WriteOutcome& out);

  const WatchOptions& options_;
  const RunClock& clock_;
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> stubs_;
};

}  // namespace cairn::bench
