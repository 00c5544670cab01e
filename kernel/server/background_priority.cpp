#include "background_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace cairn::server {
namespace {

// From linux/ioprio.h, which glibc does not wrap.
constexpr int kIoprioWhoProcess = 1;
constexpr int kIoprioClassBestEffort = 2;
constexpr int kIoprioClassShift = 13;
constexpr int kLowestBestEffortLevel = 7;
constexpr int kBackgroundNice = 10;

}  // namespace

void lowerBackgroundPriority() {
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  (void)::setpriority(PRIO_PROCESS, tid, kBackgroundNice);
  (void)::syscall(SYS_ioprio_set, kIoprioWhoProcess, static_cast<int>(tid),
                  (kIoprioClassBestEffort << kIoprioClassShift) | kLowestBestEffortLevel);
}

}  // namespace cairn::server
