#include "wal/segment_name.h"

#include <algorithm>
#include <cstdio>

#include "wal/file_util.h"

namespace cairn::wal {
namespace {

constexpr size_t kHexDigits = 16;
constexpr std::string_view kSuffix = ".wal";

bool parseHex(const std::string& s, size_t pos, uint64_t* out) {
  uint64_t v = 0;
  for (size_t i = pos; i < pos + kHexDigits; ++i) {
    char c = s[i];
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;  // lower-case only: we only ever write lower-case names
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

}  // namespace

std::string segmentName(uint64_t seq, uint64_t index) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%016llx-%016llx.wal", static_cast<unsigned long long>(seq),
                static_cast<unsigned long long>(index));
  return buf;
}

bool parseSegmentName(const std::string& name, uint64_t* seq, uint64_t* index) {
  if (name.size() != 2 * kHexDigits + 1 + kSuffix.size()) return false;
  if (name[kHexDigits] != '-') return false;
  if (name.compare(2 * kHexDigits + 1, kSuffix.size(), kSuffix) != 0) return false;
  return parseHex(name, 0, seq) && parseHex(name, kHexDigits + 1, index);
}

Status listSegments(const std::string& dir, std::vector<SegmentFile>* out) {
  out->clear();
  std::vector<std::string> names;
  Status s = listDir(dir, &names);
  if (!s) return s;
  for (const auto& name : names) {
    SegmentFile f;
    if (!parseSegmentName(name, &f.seq, &f.index)) continue;
    f.path = dir + "/" + name;
    out->push_back(std::move(f));
  }
  std::sort(out->begin(), out->end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.seq < b.seq; });
  for (size_t i = 1; i < out->size(); ++i) {
    const auto& prev = (*out)[i - 1];
    const auto& cur = (*out)[i];
    if (cur.seq != prev.seq + 1) {
      return Status(StatusCode::DataLoss, "wal: segment sequence gap before " + cur.path +
                                              " at offset 0 (previous segment is " + prev.path +
                                              ")");
    }
    if (cur.index < prev.index) {
      return Status(
          StatusCode::DataLoss,
          "wal: segment " + cur.path + " at offset 0 starts below the index of " + prev.path);
    }
  }
  return Status::ok();
}

}  // namespace cairn::wal
