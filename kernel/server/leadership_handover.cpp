#include "leadership_handover.h"

#include <thread>

#include "cairn/errors.h"
#include "member_ids.h"

namespace cairn::server {
namespace {

constexpr const char* kCaller = "etcdserver/server.go";

}  // namespace

Status handOverLeadership(const HandoverParts& p, Logger& logger) {
  const uint64_t lead = p.leader();
  if (lead != p.self) {
    logger.info(kCaller, "skipped leadership transfer; local server is not leader",
                jsonField("local-member-id", idToHex(p.self)) + "," +
                    jsonField("current-leader-member-id", idToHex(lead)));
    return Status::ok();
  }
  if (p.voters.size() <= 1) {
    logger.info(kCaller, "skipped leadership transfer for single voting member cluster",
                jsonField("local-member-id", idToHex(p.self)) + "," +
                    jsonField("current-leader-member-id", idToHex(lead)));
    return Status::ok();
  }
  // etcd's longestConnected: the voter with the oldest unbroken connection.
  uint64_t transferee = 0;
  std::chrono::steady_clock::time_point since = std::chrono::steady_clock::time_point::max();
  for (uint64_t id : p.voters) {
    if (id == p.self) continue;
    const auto t = p.connectedSince(id);
    if (t == std::chrono::steady_clock::time_point{}) continue;
    if (t < since) {
      since = t;
      transferee = id;
    }
  }
  if (transferee == 0) return Status(Error::Unhealthy);
  const auto start = std::chrono::steady_clock::now();
  logger.info(kCaller, "leadership transfer starting",
              jsonField("local-member-id", idToHex(p.self)) + "," +
                  jsonField("current-leader-member-id", idToHex(lead)) + "," +
                  jsonField("transferee-member-id", idToHex(transferee)));
  p.transfer(transferee);
  while (p.leader() != transferee) {
    if (std::chrono::steady_clock::now() - start >= p.timeout) {
      return Status(Error::TimeoutLeaderTransfer);
    }
    std::this_thread::sleep_for(p.pollEvery);
  }
  const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);
  logger.info(kCaller, "leadership transfer finished",
              jsonField("local-member-id", idToHex(p.self)) + "," +
                  jsonField("old-leader-member-id", idToHex(lead)) + "," +
                  jsonField("new-leader-member-id", idToHex(transferee)) + "," +
                  jsonField("took", std::to_string(took.count()) + "s"));
  return Status::ok();
}

}  // namespace cairn::server
