// CRC-32C (Castagnoli), the checksum of every WAL record and snapshot file.
//
// The computation is the SDK's (cairn/crc32c.h: the CPU's crc32 instruction
// where there is one, Boost's table otherwise); these are the WAL's names.
#pragma once

#include <cstdint>
#include <string_view>

namespace cairn::wal {

// CRC-32C of `data`.
uint32_t crc32c(std::string_view data);

// Continues a CRC-32C: crc32cExtend(crc32c(a), b) == crc32c(a + b), and
// crc32cExtend(0, a) == crc32c(a). This is what lets the WAL chain each
// record's checksum onto the previous one.
uint32_t crc32cExtend(uint32_t prev, std::string_view data);

}  // namespace cairn::wal
