// Test doubles for the kernel side of the api-grpc plugin: a Host whose
// settings are the kernel's flag table (etcd's defaults, the kernel's
// parsers) with per-test flags; KV, Lease, Cluster and Maintenance services
// that record every request and its RequestContext and answer as each test
// scripts it, from their own "kernel" thread as the real kernel does; a
// Watch service whose sessions a test fills and wakes by hand; a service
// registry tests add plugin services to; and metrics, events, propose and
// read that api-grpc does not use, answering without pretending success.
// One header per fake; this one includes them all.
#pragma once

#include "../common/fake_settings.h"
#include "capturing_logger.h"
#include "empty_read_txn.h"
#include "fake_cluster.h"
#include "fake_connections.h"
#include "fake_events.h"
#include "fake_host.h"
#include "fake_kv.h"
#include "fake_lease.h"
#include "fake_maintenance.h"
#include "fake_method.h"
#include "fake_metrics.h"
#include "fake_service_registry.h"
#include "fake_stream_call.h"
#include "fake_watch.h"
