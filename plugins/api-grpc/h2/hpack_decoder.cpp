#include "h2/hpack_decoder.h"

#include <utility>

#include "h2/hpack_huffman.h"

namespace cairn::api::h2 {
namespace {

constexpr std::uint32_t kMaxInteger = 0x7fffffff;
constexpr int kMaxContinuationBytes = 5;
constexpr std::size_t kInitialSlots = 8;

}  // namespace

bool decodeInteger(std::string_view* in, int prefixBits, std::uint32_t* value) {
  if (in->empty()) return false;
  const std::uint32_t mask = (1u << prefixBits) - 1;
  std::uint64_t v = static_cast<unsigned char>(in->front()) & mask;
  std::size_t pos = 1;
  if (v == mask) {
    int shift = 0;
    for (;;) {
      if (pos == in->size() || pos > kMaxContinuationBytes) return false;
      const auto byte = static_cast<unsigned char>((*in)[pos++]);
      v += static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (v > kMaxInteger) return false;
      if ((byte & 0x80) == 0) break;
      shift += 7;
    }
  }
  in->remove_prefix(pos);
  *value = static_cast<std::uint32_t>(v);
  return true;
}

HpackDecoder::HpackDecoder(std::size_t maxTableSize, std::size_t maxHeaderListSize)
    : maxTableSize_(maxTableSize), maxHeaderListSize_(maxHeaderListSize), capacity_(maxTableSize) {}

HpackDecoder::Result HpackDecoder::decode(std::string_view block, HeaderList* out) {
  if (broken_) return Result::Error;
  const std::size_t initialSize = out->size();
  std::size_t listSize = 0;
  bool tooLarge = false;
  // Past the limit, fields are still decoded (the table must follow the
  // peer's) but no longer kept: holding them is what the limit prevents.
  const auto emit = [&](std::string_view name, std::string_view value) {
    if (tooLarge) return;
    listSize += name.size() + value.size() + kEntryOverhead;
    if (listSize > maxHeaderListSize_) {
      tooLarge = true;
      out->truncate(initialSize);
      return;
    }
    out->add(name, value);
  };
  const auto fail = [&] {
    broken_ = true;
    out->truncate(initialSize);
    return Result::Error;
  };

  bool sawField = false;
  while (!block.empty()) {
    const auto first = static_cast<unsigned char>(block.front());
    std::uint32_t index;
    std::string_view name;
    std::string_view value;
    if (first & 0x80) {
      // 6.1 Indexed Header Field.
      if (!decodeInteger(&block, 7, &index) || !lookup(index, &name, &value)) return fail();
      emit(name, value);
    } else if (first & 0x40) {
      // 6.2.1 Literal Header Field with Incremental Indexing.
      if (!decodeInteger(&block, 6, &index)) return fail();
      if (index == 0) {
        if (!readString(&block, &nameScratch_, &name)) return fail();
      } else {
        std::string_view unusedValue;
        if (!lookup(index, &name, &unusedValue)) return fail();
        if (index > kStaticTable.size()) {
          // The insertion below may evict the very entry the name is in.
          nameScratch_.assign(name);
          name = nameScratch_;
        }
      }
      if (!readString(&block, &valueScratch_, &value)) return fail();
      emit(name, value);
      insert(name, value);
    } else if (first & 0x20) {
      // 6.3 Dynamic Table Size Update: only before the block's first field
      // (RFC 7541 4.2), and within what we advertised.
      if (sawField || !decodeInteger(&block, 5, &index) || index > maxTableSize_) return fail();
      capacity_ = index;
      evictUntil(capacity_);
      continue;
    } else {
      // 6.2.2 without indexing and 6.2.3 never indexed (0x10) decode alike;
      // the never-indexed bit only matters to an intermediary re-encoding.
      if (!decodeInteger(&block, 4, &index)) return fail();
      if (index == 0) {
        if (!readString(&block, &nameScratch_, &name)) return fail();
      } else {
        std::string_view unusedValue;
        if (!lookup(index, &name, &unusedValue)) return fail();
      }
      if (!readString(&block, &valueScratch_, &value)) return fail();
      emit(name, value);
    }
    sawField = true;
  }
  return tooLarge ? Result::TooLarge : Result::Ok;
}

bool HpackDecoder::lookup(std::uint32_t index, std::string_view* name,
                          std::string_view* value) const {
  if (index == 0) return false;
  if (index <= kStaticTable.size()) {
    const StaticTableEntry& e = kStaticTable[index - 1];
    *name = e.name;
    *value = e.value;
    return true;
  }
  // Dynamic indexes count from the newest entry.
  const std::size_t age = index - kStaticTable.size() - 1;
  if (age >= count_) return false;
  const Entry& e = slot(oldest_ + count_ - 1 - age);
  *name = e.name;
  *value = e.value;
  return true;
}

bool HpackDecoder::readString(std::string_view* in, std::string* scratch,
                              std::string_view* str) const {
  if (in->empty()) return false;
  const bool huffman = (static_cast<unsigned char>(in->front()) & 0x80) != 0;
  std::uint32_t length;
  if (!decodeInteger(in, 7, &length) || length > in->size()) return false;
  const std::string_view raw = in->substr(0, length);
  in->remove_prefix(length);
  if (!huffman) {
    *str = raw;
    return true;
  }
  scratch->clear();
  if (!huffmanDecode(raw, scratch)) return false;
  *str = *scratch;
  return true;
}

void HpackDecoder::insert(std::string_view name, std::string_view value) {
  const std::size_t entrySize = name.size() + value.size() + kEntryOverhead;
  // RFC 7541 4.4: an entry larger than the table empties it and is not added.
  if (entrySize > capacity_) {
    evictUntil(0);
    return;
  }
  evictUntil(capacity_ - entrySize);
  if (count_ == ring_.size()) grow();
  Entry& e = slot(oldest_ + count_);
  e.name.assign(name);
  e.value.assign(value);
  ++count_;
  size_ += entrySize;
}

void HpackDecoder::evictUntil(std::size_t size) {
  while (size_ > size) {
    Entry& e = slot(oldest_);
    size_ -= e.name.size() + e.value.size() + kEntryOverhead;
    // Buffers over kKeptStringCapacity are freed, or a peer cycling big
    // entries through every slot would pin slots * table size bytes.
    if (e.name.capacity() > kKeptStringCapacity) std::string().swap(e.name);
    if (e.value.capacity() > kKeptStringCapacity) std::string().swap(e.value);
    ++oldest_;
    --count_;
  }
}

void HpackDecoder::grow() {
  // Entries are at least 32 bytes, so the ring stops growing at about
  // capacity / 32 slots.
  std::vector<Entry> bigger(ring_.empty() ? kInitialSlots : ring_.size() * 2);
  for (std::size_t i = 0; i < count_; ++i) bigger[i] = std::move(slot(oldest_ + i));
  ring_ = std::move(bigger);
  oldest_ = 0;
}

}  // namespace cairn::api::h2
