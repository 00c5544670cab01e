#include "etcd_db_writer.h"

#include <array>
#include <cstdio>

#include "etcdserverpb/rpc.pb.h"
#include "plugin_buckets.h"

namespace cairn::snapshot {
namespace {

// The cluster version a 3.4 cluster records (membership.clusterVersionKey).
constexpr std::string_view kClusterVersionKey = "clusterVersion";
constexpr std::string_view kClusterVersion = "3.4.0";
// auth/store.go's revisionKey, and the revision a store never changed has.
constexpr std::string_view kAuthRevisionKey = "authRevision";
constexpr std::string_view kFirstAuthRevision("\0\0\0\0\0\0\0\x01", 8);

// A JSON string as Go's encoding/json writes it (HTML-safe escapes).
void appendGoJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    char buf[8];
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) & 0xfe) == 0xa8) {
      // U+2028 and U+2029, which Go escapes for JavaScript's sake.
      std::snprintf(buf, sizeof buf, "\\u202%c", s[i + 2] == '\xa8' ? '8' : '9');
      out += buf;
      i += 2;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

void appendStringArray(std::string& out, const google::protobuf::RepeatedPtrField<std::string>& v) {
  out.push_back('[');
  for (int i = 0; i < v.size(); ++i) {
    if (i > 0) out.push_back(',');
    appendGoJsonString(out, v.Get(i));
  }
  out.push_back(']');
}

}  // namespace

Status EtcdDbWriter::memberJson(std::string_view protobuf, std::string* json) {
  etcdserverpb::Member m;
  if (!m.ParseFromArray(protobuf.data(), static_cast<int>(protobuf.size()))) {
    return Status(StatusCode::DataLoss, "members bucket: unparsable member record");
  }
  // Field order and omitempty as membership.Member's struct tags: id,
  // peerURLs, isLearner (omitempty), name (omitempty), clientURLs (omitempty).
  // A nil peerURLs slice is "null" in Go.
  std::string& out = *json;
  out = "{\"id\":" + std::to_string(m.id()) + ",\"peerURLs\":";
  if (m.peerurls().empty()) {
    out += "null";
  } else {
    appendStringArray(out, m.peerurls());
  }
  if (m.islearner()) out += ",\"isLearner\":true";
  if (!m.name().empty()) {
    out += ",\"name\":";
    appendGoJsonString(out, m.name());
  }
  if (!m.clienturls().empty()) {
    out += ",\"clientURLs\":";
    appendStringArray(out, m.clienturls());
  }
  out.push_back('}');
  return Status::ok();
}

Status EtcdDbWriter::addAuthRevisionIfMissing() {
  if (sawAuthRevision_) return Status::ok();
  sawAuthRevision_ = true;
  return out_.add("auth", kAuthRevisionKey, kFirstAuthRevision);
}

Status EtcdDbWriter::leaveAuth() {
  if (!inAuth_) return Status::ok();
  inAuth_ = false;
  return addAuthRevisionIfMissing();
}

Status EtcdDbWriter::add(std::string_view bucket, std::string_view key, std::string_view value) {
  if (!isEtcdBucket(bucket)) {
    if (!isPluginBucket(bucket)) return Status::ok();
    if (Status st = leaveAuth(); !st) return st;
    return out_.add(snapshotBucketName(bucket), key, value);
  }
  if (bucket == "cluster") sawCluster_ = true;
  // Keys arrive in order: the missing authRevision goes before the first
  // larger auth key, or when the auth bucket ends.
  if (bucket == "auth") {
    if (key == kAuthRevisionKey) sawAuthRevision_ = true;
    if (key > kAuthRevisionKey) {
      if (Status st = addAuthRevisionIfMissing(); !st) return st;
    }
    inAuth_ = true;
  } else if (Status st = leaveAuth(); !st) {
    return st;
  }
  if (bucket == "members") {
    std::string json;
    if (Status st = memberJson(value, &json); !st) return st;
    return out_.add(bucket, key, json);
  }
  return out_.add(bucket, key, value);
}

Status EtcdDbWriter::finish() {
  if (Status st = addAuthRevisionIfMissing(); !st) return st;
  if (!sawCluster_) {
    if (Status st = out_.add("cluster", kClusterVersionKey, kClusterVersion); !st) return st;
  }
  for (std::string_view b : kEtcdBuckets) {
    if (Status st = out_.ensureBucket(b); !st) return st;
  }
  return out_.finish();
}

}  // namespace cairn::snapshot
