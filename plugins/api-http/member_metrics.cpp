#include "member_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace cairn::apihttp {
namespace {

// Fields of /proc/self/stat after the command name (which may hold spaces).
std::vector<std::string> statFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> fields;
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 2));
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;  // fields[0] is field 3 (state)
}

double statField(std::size_t fieldNumber) {
  const std::vector<std::string> fields = statFields();
  const std::size_t index = fieldNumber - 3;
  return index < fields.size() ? std::stod(fields[index]) : 0;
}

double openFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the descriptor opendir itself holds
}

double bootTimeSeconds() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
  }
  return 0;
}

}  // namespace

MemberMetrics::MemberMetrics(Host& host) {
  Metrics& m = host.metrics();
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double pageSize = static_cast<double>(sysconf(_SC_PAGESIZE));
  m.counterFunction("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                    [ticks] { return (statField(14) + statField(15)) / ticks; });
  m.gaugeFunction("process_resident_memory_bytes", "Resident memory size in bytes.",
                  [pageSize] { return statField(24) * pageSize; });
  m.gaugeFunction("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                  [] { return statField(23); });
  m.gaugeFunction("process_open_fds", "Number of open file descriptors.", [] { return openFds(); });
  m.gaugeFunction("process_max_fds", "Maximum number of open file descriptors.", [] {
    rlimit limit{};
    return getrlimit(RLIMIT_NOFILE, &limit) == 0 ? static_cast<double>(limit.rlim_cur) : 0.0;
  });
  const double start = bootTimeSeconds() + statField(22) / ticks;
  m.gaugeFunction("process_start_time_seconds",
                  "Start time of the process since unix epoch in seconds.",
                  [start] { return start; });
}

}  // namespace cairn::apihttp
