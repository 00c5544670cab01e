#include "metrics/metrics_registry.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

using cairn::metrics::MetricsRegistry;

TEST_CASE("counters, gauges and labels render in Prometheus text format") {
  MetricsRegistry r;
  auto* c = r.counter("etcd_server_proposals_committed_total",
                      "The total number of consensus proposals committed.");
  REQUIRE(c != nullptr);
  c->inc();
  c->inc(2);
  c->inc(-5);  // a counter never goes down
  CHECK(c->value() == 3);
  auto* g = r.gauge("etcd_server_has_leader",
                    "Whether or not a leader exists. 1 is existence, 0 is not.");
  g->set(1);
  auto* h1 = r.counter("grpc_server_handled_total", "Total number of RPCs completed.",
                       {{"grpc_method", "Range"}, {"grpc_code", "OK"}});
  auto* h2 = r.counter("grpc_server_handled_total", "ignored later help",
                       {{"grpc_method", "Put"}, {"grpc_code", "OK"}});
  h1->inc(7);
  h2->inc();
  CHECK(r.counter("grpc_server_handled_total", "",
                  {{"grpc_method", "Range"}, {"grpc_code", "OK"}}) == h1);

  const std::string text = r.render();
  CHECK(text.find("# HELP etcd_server_has_leader Whether or not a leader exists. 1 is existence, 0 "
                  "is not.\n"
                  "# TYPE etcd_server_has_leader gauge\netcd_server_has_leader 1\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE etcd_server_proposals_committed_total counter\n"
                  "etcd_server_proposals_committed_total 3\n") != std::string::npos);
  CHECK(text.find("grpc_server_handled_total{grpc_method=\"Put\",grpc_code=\"OK\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("grpc_server_handled_total{grpc_method=\"Range\",grpc_code=\"OK\"} 7\n") !=
        std::string::npos);
  CHECK(text.find("# HELP grpc_server_handled_total Total number of RPCs completed.\n") !=
        std::string::npos);
}

TEST_CASE("histograms are cumulative with le bounds, sum and count") {
  MetricsRegistry r;
  auto* h = r.histogram("etcd_disk_wal_fsync_duration_seconds",
                        "The latency distributions of fsync called by WAL.", {0.001, 0.002, 0.004});
  REQUIRE(h != nullptr);
  h->observe(0.0005);
  h->observe(0.002);  // bounds are inclusive
  h->observe(0.003);
  h->observe(1);
  const std::string text = r.render();
  CHECK(text.find("etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.001\"} 1\n"
                  "etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.002\"} 2\n"
                  "etcd_disk_wal_fsync_duration_seconds_bucket{le=\"0.004\"} 3\n"
                  "etcd_disk_wal_fsync_duration_seconds_bucket{le=\"+Inf\"} 4\n") !=
        std::string::npos);
  CHECK(text.find("etcd_disk_wal_fsync_duration_seconds_count 4\n") != std::string::npos);
  CHECK(text.find("etcd_disk_wal_fsync_duration_seconds_sum 1.0055") != std::string::npos);
}

TEST_CASE("gauge functions are read when rendered") {
  MetricsRegistry r;
  double v = 5;
  r.gaugeFunction("process_open_fds", "Number of open file descriptors.", [&] { return v; });
  CHECK(r.render().find("process_open_fds 5\n") != std::string::npos);
  v = 9;
  CHECK(r.render().find("process_open_fds 9\n") != std::string::npos);
}

TEST_CASE("counter functions are read when rendered, typed as counters") {
  MetricsRegistry r;
  double v = 1.5;
  r.counterFunction("process_cpu_seconds_total", "CPU.", [&] { return v; });
  v = 2.25;
  const std::string text = r.render();
  CHECK(text.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
  CHECK(text.find("process_cpu_seconds_total 2.25\n") != std::string::npos);
  // A name taken by another kind is not replaced.
  r.gaugeFunction("process_cpu_seconds_total", "CPU.", [] { return 7.0; });
  CHECK(r.render().find("process_cpu_seconds_total 2.25\n") != std::string::npos);
}

TEST_CASE("bad names, kind clashes and label-name clashes are refused") {
  MetricsRegistry r;
  CHECK(r.counter("", "h") == nullptr);
  CHECK(r.counter("9lives", "h") == nullptr);
  CHECK(r.counter("has space", "h") == nullptr);
  CHECK(r.counter("ok_total", "h", {{"le", "1"}}) == nullptr);
  CHECK(r.counter("ok_total", "h", {{"__reserved", "1"}}) == nullptr);
  REQUIRE(r.counter("ok_total", "h") != nullptr);
  CHECK(r.gauge("ok_total", "h") == nullptr);
  CHECK(r.counter("ok_total", "h", {{"a", "b"}}) == nullptr);
}

TEST_CASE("label values are escaped") {
  MetricsRegistry r;
  r.counter("x_total", "a \\ help\nline", {{"k", "q\"u\\o\nte"}})->inc();
  const std::string text = r.render();
  CHECK(text.find("# HELP x_total a \\\\ help\\nline\n") != std::string::npos);
  CHECK(text.find("x_total{k=\"q\\\"u\\\\o\\nte\"} 1\n") != std::string::npos);
}

TEST_CASE("concurrent updates are not lost") {
  MetricsRegistry r;
  auto* c = r.counter("c_total", "h");
  auto* h = r.histogram("h_seconds", "h", {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c->inc();
        h->observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(c->value() == 40000);
  CHECK(r.render().find("h_seconds_count 40000\n") != std::string::npos);
}
