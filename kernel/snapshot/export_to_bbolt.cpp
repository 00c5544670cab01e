#include "export_to_bbolt.h"

#include <string>
#include <thread>

#include "cairn/storage_stream.h"
#include "chunk_pipe.h"
#include "etcd_db_writer.h"

namespace cairn::snapshot {

Status exportToBbolt(storage::Backend& backend, const BboltWriter::WriteAt& writeAt,
                     uint64_t* fileBytes) {
  ChunkPipe pipe;
  Status exported;  // written by the export thread, read after join
  std::thread exporter([&] {
    exported = backend.exportState([&](std::string_view chunk) {
      if (pipe.push(chunk)) return Status::ok();
      return Status(StatusCode::Cancelled, "snapshot: the bbolt writer stopped");
    });
    pipe.close();
  });

  BboltWriter bolt(writeAt);
  EtcdDbWriter etcd(bolt);
  storage::StreamDecoder decoder([&](std::string& chunk) { return pipe.pop(chunk); });
  Status st;
  for (;;) {
    storage::StreamRecord rec;
    bool done = false;
    st = decoder.next(rec, done);
    if (!st || done) break;
    st = etcd.add(rec.bucket, rec.key, rec.value);
    if (!st) break;
  }
  if (!st) pipe.abandon();
  // Drain what is left so a producer blocked in push() finishes.
  if (st) {
    std::string rest;
    while (pipe.pop(rest)) {
    }
  }
  exporter.join();
  if (!exported) return exported;
  if (!st) return st;
  if (Status fin = etcd.finish(); !fin) return fin;
  *fileBytes = bolt.fileBytes();
  return Status::ok();
}

}  // namespace cairn::snapshot
