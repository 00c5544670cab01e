// WatchSink: where a WatchStream's responses go (the gRPC layer implements it).
#pragma once

#include "etcdserverpb/rpc.pb.h"

namespace cairn::watch {

// Delivery is pull-based: the hub only queues responses in the stream (bounded
// per watcher) and calls onReady(); the frontend then drains the stream with
// WatchStream::flush() (which calls send()) or poll(), on its own thread. Why
// pull: gRPC's callback reactor has one write in flight at a time, and the
// bounded queue must live where "full" can be seen without blocking the apply
// thread; a push API would need an unbounded queue in the frontend instead.
class WatchSink {
 public:
  virtual ~WatchSink() = default;

  // The stream's queue went from empty to non-empty. Called on the thread that
  // queued (the apply thread, the catch-up thread or a gRPC thread), outside
  // every hub lock. Must not block: post work, or set a flag.
  virtual void onReady() = 0;

  // One response, in stream order. Called only from WatchStream::flush(), on
  // the flushing thread, outside hub locks; never concurrently for one stream.
  // header.revision is set; cluster_id, member_id and raft_term are the
  // server's to fill.
  virtual void send(etcdserverpb::WatchResponse&& response) = 0;
};

}  // namespace cairn::watch
