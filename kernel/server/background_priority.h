// Lower the calling thread's CPU and I/O priority, for threads that do bulk
// maintenance work (a Snapshot stream's export) beside the latency-critical
// ones (gRPC, raft, WAL, apply). On a small machine such a thread otherwise
// takes a full core from the writers for as long as it runs.
#pragma once

namespace cairn::server {

// Nice +10 and best-effort I/O at the lowest level, for this thread only
// (Linux keeps both per thread; threads it starts afterwards inherit them).
// Best effort: a failure is ignored, the work just runs at normal priority.
// Irreversible without CAP_SYS_NICE, so only for threads owned by the task.
void lowerBackgroundPriority();

}  // namespace cairn::server
