#include "services.h"

#include <utility>

#include "election_calls.h"
#include "lock_calls.h"
#include "observe_call.h"

namespace cairn::concurrency {
namespace {

// A typed unary handler that launches a `CallType` built from the request.
template <typename CallType, typename Request, typename Response>
auto launcher(std::shared_ptr<Core> core) {
  return
      [core = std::move(core)](const RequestContext& ctx, const Request& req, Done<Response> done) {
        core->launch(std::make_shared<CallType>(*core, ctx, req, std::move(done)));
      };
}

}  // namespace

ServiceDef lockService(std::shared_ptr<Core> core) {
  using namespace v3lockpb;
  ServiceDef def;
  def.name = kLockServiceName;
  def.method<LockRequest, LockResponse>("Lock",
                                        launcher<LockCall, LockRequest, LockResponse>(core));
  def.method<UnlockRequest, UnlockResponse>(
      "Unlock", launcher<UnlockCall, UnlockRequest, UnlockResponse>(core));
  return def;
}

ServiceDef electionService(std::shared_ptr<Core> core) {
  using namespace v3electionpb;
  ServiceDef def;
  def.name = kElectionServiceName;
  def.method<CampaignRequest, CampaignResponse>(
      "Campaign", launcher<CampaignCall, CampaignRequest, CampaignResponse>(core));
  def.method<ProclaimRequest, ProclaimResponse>(
      "Proclaim", launcher<ProclaimCall, ProclaimRequest, ProclaimResponse>(core));
  def.method<LeaderRequest, LeaderResponse>(
      "Leader", launcher<LeaderCall, LeaderRequest, LeaderResponse>(core));
  def.method<ResignRequest, ResignResponse>(
      "Resign", launcher<ResignCall, ResignRequest, ResignResponse>(core));
  def.stream("Observe", [core](const RequestContext& ctx, std::function<void()> onReady) {
    return ObserveCall::open(core, ctx, std::move(onReady));
  });
  return def;
}

}  // namespace cairn::concurrency
