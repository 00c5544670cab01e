// Services by full proto name: how plugins offer RPCs and frontends serve
// them.
//
// A plugin describes a service it implements ("v3lockpb.Lock") as a
// ServiceDef: one handler per method, taking and giving protobuf messages of
// the method's declared types. It registers the ServiceDef in its declare()
// phase; every API frontend serves every registered service (api-grpc over
// gRPC, api-http as grpc-gateway JSON routes) by reading the method types
// from the proto descriptors, so no frontend knows the plugin and no plugin
// knows a frontend. A method with no handler is answered Unimplemented.
//
// Messages are the generated types of the one shared proto library, so the
// descriptors (and a frontend's prototype for parsing) come from the
// generated pool.
#pragma once

#include <google/protobuf/message.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "cairn/request_context.h"
#include "cairn/status.h"

namespace cairn {

template <typename Response>
using Done = std::function<void(Status, Response&&)>;

// A completion with a type-erased response (nullptr unless the status is OK).
using MessageDone = std::function<void(Status, std::unique_ptr<google::protobuf::Message>)>;

// One unary call: `done` runs exactly once, on any thread, and must not block.
using UnaryHandler = std::function<void(
    const RequestContext& ctx, const google::protobuf::Message& request, MessageDone done)>;

// One streaming call (server-streaming or bidirectional), pull-based like the
// Watch service: a gRPC stream has one write in flight at a time, so the
// handler queues and the frontend takes. The frontend calls onMessage() for
// each client message (a server-streaming call gets exactly one), takes
// responses with poll() whenever the handler signalled `onReady`, and calls
// close() when the client goes away or the server stops. Thread-safe.
class StreamCall {
 public:
  virtual ~StreamCall() = default;
  virtual void onMessage(const google::protobuf::Message& request) = 0;
  // The client half-closed its side (no more onMessage calls).
  virtual void onClientDone() {}

  enum class Next {
    Message,   // *out holds the next response
    Idle,      // nothing yet; onReady will be signalled again
    Finished,  // the call is over with *finalStatus
  };
  virtual Next poll(std::unique_ptr<google::protobuf::Message>* out, Status* finalStatus) = 0;
  // Idempotent; after it, onReady is not signalled again.
  virtual void close() = 0;
};

// Opens a stream. `onReady` may run on any thread (or inside onMessage) and
// must not block.
using StreamHandler = std::function<std::unique_ptr<StreamCall>(const RequestContext& ctx,
                                                                std::function<void()> onReady)>;

struct ServiceDef {
  std::string name;                              // full proto name, e.g. "v3lockpb.Lock"
  std::map<std::string, UnaryHandler> unary;     // by method name, e.g. "Lock"
  std::map<std::string, StreamHandler> streams;  // by method name, e.g. "Observe"

  // A typed unary handler: fn(ctx, const Request&, Done<Response>).
  template <typename Request, typename Response, typename Fn>
  ServiceDef& method(const std::string& methodName, Fn fn) {
    unary[methodName] = [fn = std::move(fn)](const RequestContext& ctx,
                                             const google::protobuf::Message& request,
                                             MessageDone done) {
      fn(ctx, static_cast<const Request&>(request),
         Done<Response>([done = std::move(done)](Status st, Response&& response) {
           if (!st) {
             done(std::move(st), nullptr);
             return;
           }
           done(std::move(st), std::make_unique<Response>(std::move(response)));
         }));
    };
    return *this;
  }
  ServiceDef& stream(const std::string& methodName, StreamHandler handler) {
    streams[methodName] = std::move(handler);
    return *this;
  }
};

// The services registered with the kernel, read by frontends after start.
class ServiceRegistry {
 public:
  virtual ~ServiceRegistry() = default;
  // nullptr if no plugin registered `name`.
  virtual const ServiceDef* find(const std::string& name) const = 0;
  // Every registered service, by name.
  virtual std::vector<const ServiceDef*> all() const = 0;
};

}  // namespace cairn
