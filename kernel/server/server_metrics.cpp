#include "server_metrics.h"

#include "maintenance_server.h"

namespace cairn::server {
namespace {

// Where a figure goes when its name is taken with another kind: counted,
// never rendered. One per figure kind, shared; updates are atomic.
class Sink final : public Counter, public Gauge, public Histogram {
 public:
  void inc(double) override {}
  void set(double) override {}
  void add(double) override {}
  double value() const override { return 0; }
  void observe(double) override {}
};

Sink& sink() {
  static Sink s;
  return s;
}

template <typename T>
T* orSink(T* metric) {
  return metric != nullptr ? metric : static_cast<T*>(&sink());
}

// etcd's wal_fsync and backend_commit buckets: 1 ms doubling to ~8 s.
std::vector<double> fsyncBuckets() {
  std::vector<double> b;
  double v = 0.001;
  for (int i = 0; i < 14; ++i, v *= 2) b.push_back(v);
  return b;
}

}  // namespace

ServerMetrics ServerMetrics::registerIn(Metrics& m) {
  ServerMetrics s;
  s.hasLeader = orSink(m.gauge("etcd_server_has_leader",
                               "Whether or not a leader exists. 1 is existence, 0 is not."));
  s.isLeader = orSink(m.gauge("etcd_server_is_leader",
                              "Whether or not this member is a leader. 1 if is, 0 otherwise."));
  s.leaderChanges = orSink(
      m.counter("etcd_server_leader_changes_seen_total", "The number of leader changes seen."));
  s.committed = orSink(m.gauge("etcd_server_proposals_committed_total",
                               "The total number of consensus proposals committed."));
  s.applied = orSink(m.gauge("etcd_server_proposals_applied_total",
                             "The total number of consensus proposals applied."));
  s.pending = orSink(m.gauge("etcd_server_proposals_pending",
                             "The current number of pending proposals to commit."));
  s.failed = orSink(m.counter("etcd_server_proposals_failed_total",
                              "The total number of failed proposals seen."));
  s.walFsync =
      orSink(m.histogram("etcd_disk_wal_fsync_duration_seconds",
                         "The latency distributions of fsync called by WAL.", fsyncBuckets()));
  s.backendCommit =
      orSink(m.histogram("etcd_disk_backend_commit_duration_seconds",
                         "The latency distributions of commit called by backend.", fsyncBuckets()));
  // etcd's version gauge: dashboards group members by its label.
  if (Gauge* version =
          m.gauge("etcd_server_version",
                  "Which version is running. 1 for 'server_version' label with current version.",
                  {{"server_version", kEtcdServerVersion}})) {
    version->set(1);
  }
  return s;
}

namespace {

struct SourceNames {
  const char* name;
  const char* help;
  std::function<double()> ServerMetrics::Sources::*reader;
};

const SourceNames kSources[] = {
    {"etcd_mvcc_db_total_size_in_bytes",
     "Total size of the underlying database physically allocated in bytes.",
     &ServerMetrics::Sources::dbSize},
    {"etcd_debugging_mvcc_db_total_size_in_bytes",
     "Total size of the underlying database physically allocated in bytes.",
     &ServerMetrics::Sources::dbSize},
    {"etcd_mvcc_db_total_size_in_use_in_bytes",
     "Total size of the underlying database logically in use in bytes.",
     &ServerMetrics::Sources::dbSizeInUse},
    {"etcd_debugging_mvcc_keys_total", "Total number of keys.", &ServerMetrics::Sources::keys},
    {"etcd_debugging_mvcc_watcher_total", "Total number of watchers.",
     &ServerMetrics::Sources::watchers},
    {"etcd_debugging_mvcc_slow_watcher_total", "Total number of unsynced slow watchers.",
     &ServerMetrics::Sources::slowWatchers},
};

}  // namespace

void ServerMetrics::attachSources(Metrics& m, Sources sources) {
  for (const SourceNames& s : kSources) m.gaugeFunction(s.name, s.help, sources.*(s.reader));
}

void ServerMetrics::detachSources(Metrics& m) {
  for (const SourceNames& s : kSources) m.gaugeFunction(s.name, s.help, [] { return 0.0; });
}

}  // namespace cairn::server
