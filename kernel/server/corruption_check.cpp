#include "corruption_check.h"

#include "cairn/errors.h"
#include "member_ids.h"

namespace cairn::server {
namespace {

constexpr const char* kCaller = "etcdserver/corrupt.go";

std::string num(std::string_view key, int64_t v) {
  return jsonField(key, static_cast<long long>(v));
}

}  // namespace

std::vector<CorruptionCheck::PeerHashKv> CorruptionCheck::peerHashKvs(int64_t revision) {
  std::vector<PeerHashKv> out;
  for (auto& [id, urls] : p_.members()) {
    if (id == p_.localId || urls.empty()) continue;
    PeerHashKv peer;
    peer.id = id;
    peer.endpoints = urls;
    for (const auto& ep : urls) {
      transport::HashKvAnswer answer;
      Status st = p_.peers->hashKv(ep, revision, &answer);
      if (st) {
        peer.answered = true;
        peer.answer = answer;
        peer.error = Status::ok();
        break;
      }
      p_.logger->warn(kCaller, "failed hash kv request",
                      jsonField("local-member-id", idToHex(p_.localId)) + "," +
                          num("requested-revision", revision) + "," +
                          jsonField("remote-peer-endpoint", ep) + "," +
                          jsonField("error", st.message()));
      peer.error = std::move(st);
    }
    out.push_back(std::move(peer));
  }
  return out;
}

Status CorruptionCheck::initial() {
  const std::string local = jsonField("local-member-id", idToHex(p_.localId));
  p_.logger->info(kCaller, "starting initial corruption check",
                  local + "," + jsonField("timeout", p_.timeoutText));
  transport::HashKvAnswer mine;
  if (Status st = p_.localHash(&mine); !st) {
    return Status(StatusCode::Internal,
                  idToHex(p_.localId) + " failed to fetch hash (" + st.message() + ")");
  }
  const std::string localFields = local + "," + num("local-member-revision", mine.revision) + "," +
                                  num("local-member-compact-revision", mine.compactRevision) + "," +
                                  num("local-member-hash", mine.hash);
  int mismatch = 0;
  for (const PeerHashKv& p : peerHashKvs(mine.revision)) {
    if (p.answered) {
      // etcd names the peer by its answer's header member id, which its
      // /members/hashkv handler leaves unset: "0" in its logs, kept here.
      const std::string fields = localFields + "," + jsonField("remote-peer-id", "0") + "," +
                                 jsonArrayField("remote-peer-endpoints", p.endpoints) + "," +
                                 num("remote-peer-revision", p.answer.revision) + "," +
                                 num("remote-peer-compact-revision", p.answer.compactRevision) +
                                 "," + num("remote-peer-hash", p.answer.hash);
      if (mine.hash != p.answer.hash) {
        if (mine.compactRevision == p.answer.compactRevision) {
          p_.logger->warn(kCaller, "found different hash values from remote peer", fields);
          ++mismatch;
        } else {
          p_.logger->warn(kCaller, "found different compact revision values from remote peer",
                          fields);
        }
      }
      continue;
    }
    // etcd logs these without an error field (it logs the nil error of its
    // own hash, not the peer's).
    const std::string fields = localFields + "," + jsonField("remote-peer-id", idToHex(p.id)) +
                               "," + jsonArrayField("remote-peer-endpoints", p.endpoints);
    if (p.error.is(Error::FutureRev)) {
      p_.logger->warn(kCaller, "cannot fetch hash from slow remote peer", fields);
    } else if (p.error.is(Error::Compacted)) {
      p_.logger->warn(kCaller, "cannot fetch hash from remote peer; local member is behind",
                      fields);
    }
  }
  if (mismatch > 0) {
    return Status(StatusCode::DataLoss,
                  idToHex(p_.localId) + " found data inconsistency with peers");
  }
  p_.logger->info(kCaller, "initial corruption checking passed; no corruption", local);
  return Status::ok();
}

Status CorruptionCheck::periodic() {
  transport::HashKvAnswer first;
  if (Status st = p_.localHash(&first); !st) return st;
  std::vector<PeerHashKv> peers = peerHashKvs(first.revision);
  if (Status st = p_.linearizableRead(); !st) return st;
  transport::HashKvAnswer second;
  if (Status st = p_.localHash(&second); !st) return st;

  bool alarmed = false;
  auto mismatch = [&] {
    if (alarmed) return;
    alarmed = true;
    etcdserverpb::AlarmRequest a;
    a.set_memberid(0);
    a.set_action(etcdserverpb::AlarmRequest::ACTIVATE);
    a.set_alarm(etcdserverpb::CORRUPT);
    p_.raiseAlarm(a);
  };

  if (second.hash != first.hash && second.revision == first.revision &&
      first.compactRevision == second.compactRevision) {
    p_.logger->warn(
        kCaller, "found hash mismatch",
        num("revision-1", first.revision) + "," + num("compact-revision-1", first.compactRevision) +
            "," + num("hash-1", first.hash) + "," + num("revision-2", second.revision) + "," +
            num("compact-revision-2", second.compactRevision) + "," + num("hash-2", second.hash));
    mismatch();
  }

  int checked = 0;
  for (const PeerHashKv& p : peers) {
    if (!p.answered) continue;
    ++checked;
    const std::string follower = jsonField("follower-peer-id", idToHex(p.id));
    if (p.answer.revision > second.revision) {
      p_.logger->warn(kCaller, "revision from follower must be less than or equal to leader's",
                      num("leader-revision", second.revision) + "," +
                          num("follower-revision", p.answer.revision) + "," + follower);
      mismatch();
    }
    if (p.answer.compactRevision > second.compactRevision) {
      p_.logger->warn(
          kCaller, "compact revision from follower must be less than or equal to leader's",
          num("leader-compact-revision", second.compactRevision) + "," +
              num("follower-compact-revision", p.answer.compactRevision) + "," + follower);
      mismatch();
    }
    if (p.answer.compactRevision == first.compactRevision && p.answer.hash != first.hash) {
      p_.logger->warn(kCaller, "same compact revision then hashes must match",
                      num("leader-compact-revision", second.compactRevision) + "," +
                          num("leader-hash", first.hash) + "," +
                          num("follower-compact-revision", p.answer.compactRevision) + "," +
                          num("follower-hash", p.answer.hash) + "," + follower);
      mismatch();
    }
  }
  p_.logger->info(kCaller, "finished peer corruption check",
                  num("number-of-peers-checked", checked));
  return Status::ok();
}

}  // namespace cairn::server
