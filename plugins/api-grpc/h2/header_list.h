// The fields of one decoded header block, as HpackDecoder appends them.
// A session keeps one list from block to block: clear() keeps a request's
// worth of slots and their short strings' buffers, so a connection's steady
// stream of requests decodes its headers without allocating (a fresh vector
// and a string per field were 4 allocations per request, the vector's 1 KiB
// one making glibc consolidate its fast bins every time).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::api::h2 {

// The largest string buffer a connection keeps for reuse once its content
// is gone (decoded fields here, evicted dynamic-table entries in
// HpackDecoder): longer ones are given back.
inline constexpr std::size_t kKeptStringCapacity = 256;

struct Header {
  std::string name;
  std::string value;
};

class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(std::initializer_list<Header> fields) : slots_(fields), size_(fields.size()) {}

  // Empties the list, keeping up to kKeptSlots slots. A block with many
  // fields, or with long names or values, must not pin memory for the
  // connection's life: the slots past kKeptSlots go, and so does any kept
  // string over kKeptStringCapacity (fields dropped by truncate() included).
  void clear() {
    if (slots_.size() > kKeptSlots) {
      slots_.resize(kKeptSlots);
      slots_.shrink_to_fit();
    }
    for (Header& h : slots_) {
      if (h.name.capacity() > kKeptStringCapacity) std::string().swap(h.name);
      if (h.value.capacity() > kKeptStringCapacity) std::string().swap(h.value);
    }
    size_ = 0;
  }
  void add(std::string_view name, std::string_view value) {
    if (size_ == slots_.size()) slots_.emplace_back();
    slots_[size_].name.assign(name);
    slots_[size_].value.assign(value);
    ++size_;
  }
  // Drops the fields from the n-th on (no-op when there are not more than n).
  void truncate(std::size_t n) {
    if (n < size_) size_ = n;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Header& operator[](std::size_t i) const { return slots_[i]; }
  const Header* begin() const { return slots_.data(); }
  const Header* end() const { return slots_.data() + size_; }
  std::vector<Header> toVector() const { return {begin(), end()}; }
  // Slots held for the next block (memory kept between blocks).
  std::size_t keptSlots() const { return slots_.size(); }

 private:
  // A gRPC request has 7-10 fields, mostly short; a bearer token can be
  // longer and is then allocated per request.
  static constexpr std::size_t kKeptSlots = 32;

  std::vector<Header> slots_;  // slots_[0, size_) are the fields
  std::size_t size_ = 0;
};

}  // namespace cairn::api::h2
