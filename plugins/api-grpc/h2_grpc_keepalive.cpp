// H2GrpcConnection's keepalive, as etcd's grpc-go server applies its
// flags: the ping policy for the client's pings (--grpc-keepalive-min-time)
// and the server's own probe of a quiet connection
// (--grpc-keepalive-interval, --grpc-keepalive-timeout).
#include <chrono>

#include "h2_grpc_call.h"

namespace cairn::api {

void H2GrpcConnection::armKeepalive(std::chrono::milliseconds after) {
  keepalive_.expires_after(after);
  keepalive_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->onKeepalive();
  });
}

void H2GrpcConnection::onKeepalive() {
  std::chrono::milliseconds next{0};
  bool dead = false;
  {
    std::lock_guard lk(mu_);
    if (closed_) return;
    const bool heard = readSinceCheck_;
    readSinceCheck_ = false;
    if (heard) {
      probing_ = false;
      next = config_->keepaliveInterval;
    } else if (!probing_) {
      // Quiet for a whole interval: ask, and give the client the timeout.
      probing_ = true;
      session_.ping();
      postFlushLocked();
      next = config_->keepaliveTimeout;
    } else {
      dead = true;  // the probe went out a timeout ago and nothing came back
    }
  }
  if (dead) {
    close();
    return;
  }
  armKeepalive(next);
}

bool H2GrpcConnection::onPing() {
  const auto now = std::chrono::steady_clock::now();
  const auto last = lastPingAt_;
  lastPingAt_ = now;
  if (resetPingStrikes_.exchange(false, std::memory_order_relaxed)) {
    pingStrikes_ = 0;
    return true;
  }
  // With no call open keepalive should not be active: a ping within two
  // hours of the last is a strike (PermitWithoutStream false, as etcd).
  const std::chrono::steady_clock::duration minTime =
      calls_.empty() ? std::chrono::steady_clock::duration(std::chrono::hours(2))
                     : std::chrono::steady_clock::duration(config_->keepaliveMinTime);
  if (last != std::chrono::steady_clock::time_point{} && last + minTime > now) ++pingStrikes_;
  return pingStrikes_ <= 2;
}

}  // namespace cairn::api
