#include "wal/crc32c.h"

#include <boost/crc.hpp>

namespace cairn::wal {
namespace {

// Reflected in and out, init and final xor all-ones: the standard CRC-32C
// parameters (check value 0xE3069283 for "123456789").
using Crc32cEngine = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

uint32_t reflect32(uint32_t v) {
  uint32_t r = 0;
  for (int i = 0; i < 32; ++i) {
    if ((v >> i) & 1u) r |= 1u << (31 - i);
  }
  return r;
}

}  // namespace

uint32_t crc32c(std::string_view data) {
  return crc32cExtend(0, data);
}

uint32_t crc32cExtend(uint32_t prev, std::string_view data) {
  // Boost keeps a reflected algorithm's register un-reflected, so resuming
  // from a finished checksum means undoing the final xor and the reflection.
  Crc32cEngine engine(reflect32(~prev));
  engine.process_bytes(data.data(), data.size());
  return engine.checksum();
}

}  // namespace cairn::wal
