#include "reads.h"

#include <boost/asio/post.hpp>

#include "cairn/errors.h"

namespace cairn::server {

Reads::Reads(RaftNode& raft, std::size_t threads, uint64_t appliedIndex)
    : raft_(raft),
      pool_(threads),
      gate_([this](std::vector<ReadGate::Read>&& reads) { dispatch(std::move(reads)); }) {
  gate_.onApplied(appliedIndex);
}

void Reads::serializable(ReadGate::Read read) {
  if (refused_) {
    read(Status(Error::Stopped));
    return;
  }
  boost::asio::post(pool_, [read = std::move(read)] { read(Status::ok()); });
}

void Reads::linearizable(ReadGate::Read read) {
  if (refused_) {
    read(Status(Error::Stopped));
    return;
  }
  raft_.readIndex(std::move(read));
}

void Reads::dispatch(std::vector<ReadGate::Read>&& reads) {
  for (auto& r : reads) {
    boost::asio::post(pool_, [r = std::move(r)] { r(Status::ok()); });
  }
}

void Reads::stop() {
  if (stopped_.exchange(true)) return;
  refused_ = true;
  const Status stopped(Error::Stopped);
  for (auto& r : gate_.drain()) r(stopped);
  pool_.join();
}

}  // namespace cairn::server
