#include "wal/log_reader.h"

#include <optional>

#include "wal/file_util.h"
#include "wal/segment_decoder.h"

namespace cairn::wal {

Status selectFirstSegment(const std::string& dir, const std::vector<SegmentFile>& all,
                          uint64_t fromIndex, size_t* first) {
  if (all.empty()) return Status(StatusCode::NotFound, "wal: no segment files in " + dir);
  for (size_t i = all.size(); i-- > 0;) {
    if (all[i].index <= fromIndex) {
      *first = i;
      return Status::ok();
    }
  }
  return Status(StatusCode::DataLoss, "wal: no segment holds index " + std::to_string(fromIndex) +
                                          " (oldest is " + all.front().path + " at offset 0)");
}

namespace {

Status applyRecord(const SegmentDecoder& dec, const Record& rec, const WalSnapshot& from,
                   bool collectEntries, LogContents* out) {
  switch (rec.type) {
    case RecordType::Metadata:
      if (out->hasMetadata && out->metadata != rec.payload) {
        return dec.dataLoss("metadata conflicts with the previous segment", rec.offset);
      }
      out->metadata.assign(rec.payload);
      out->hasMetadata = true;
      return Status::ok();
    case RecordType::State: {
      raftpb::HardState hs;
      if (!hs.ParseFromArray(rec.payload.data(), static_cast<int>(rec.payload.size()))) {
        return dec.dataLoss("unparsable hard state", rec.offset);
      }
      out->state = std::move(hs);
      return Status::ok();
    }
    case RecordType::Snapshot: {
      WalSnapshot snap;
      if (!decodeSnapshotPayload(rec.payload, &snap)) {
        return dec.dataLoss("malformed snapshot marker", rec.offset);
      }
      if (snap.index == from.index) {
        if (collectEntries && snap.term != from.term) {
          return dec.dataLoss("snapshot marker term " + std::to_string(snap.term) +
                                  " does not match the requested term " +
                                  std::to_string(from.term) + " at index " +
                                  std::to_string(from.index),
                              rec.offset);
        }
        out->fromFound = true;
      }
      out->markers.push_back(snap);
      return Status::ok();
    }
    case RecordType::Entry: {
      raftpb::Entry e;
      if (!e.ParseFromArray(rec.payload.data(), static_cast<int>(rec.payload.size()))) {
        return dec.dataLoss("unparsable entry", rec.offset);
      }
      out->lastEntryIndex = e.index();
      if (!collectEntries) return Status::ok();
      if (e.index() <= from.index) {
        // Raft rewrote the log from at or below the snapshot: everything
        // collected above it so far was truncated away.
        out->entries.clear();
        return Status::ok();
      }
      // Position this entry takes among the entries above from.index.
      const uint64_t pos = e.index() - from.index - 1;
      if (pos > out->entries.size()) {
        uint64_t expected = from.index + out->entries.size() + 1;
        return dec.dataLoss("entry index gap (got " + std::to_string(e.index()) + ", expected " +
                                std::to_string(expected) + ")",
                            rec.offset);
      }
      out->entries.resize(pos);  // raft truncation: drop the superseded suffix
      out->entries.push_back(std::move(e));
      return Status::ok();
    }
    case RecordType::Crc:
      break;  // the decoder consumes Crc records itself
  }
  return dec.dataLoss("unexpected record", rec.offset);
}

}  // namespace

Status readLog(const std::vector<SegmentFile>& segs, const WalSnapshot& from, bool collectEntries,
               LogContents* out) {
  *out = LogContents();
  std::optional<uint32_t> chain;
  std::string data;
  for (size_t i = 0; i < segs.size(); ++i) {
    const bool last = i + 1 == segs.size();
    Status s = readWholeFile(segs[i].path, &data);
    if (!s) return s;
    SegmentDecoder dec(segs[i].path, data, last, chain);
    bool sawMetadata = false;
    while (true) {
      Record rec;
      bool done = false;
      s = dec.next(&rec, &done);
      if (!s) return s;
      if (done) break;
      if (rec.type == RecordType::Metadata) sawMetadata = true;
      s = applyRecord(dec, rec, from, collectEntries, out);
      if (!s) return s;
    }
    if (!sawMetadata) return dec.dataLoss("segment has no metadata record", 0);
    chain = dec.chain();
    if (last) {
      out->chain = dec.chain();
      out->lastSegmentEnd = dec.validEnd();
      out->repairedTail = dec.repairedTail();
    }
  }
  return Status::ok();
}

}  // namespace cairn::wal
