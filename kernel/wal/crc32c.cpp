#include "wal/crc32c.h"

#include "cairn/crc32c.h"

namespace cairn::wal {

uint32_t crc32c(std::string_view data) {
  return cairn::crc32cExtend(0, data);
}

uint32_t crc32cExtend(uint32_t prev, std::string_view data) {
  return cairn::crc32cExtend(prev, data);
}

}  // namespace cairn::wal
