#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace plateau::master::allocator {

// A growable set of small integers (dense handles) stored one bit each. Bits past the end read as
// clear; set() grows the storage.
class DenseBitset {
 public:
  bool test(size_t index) const {
    const size_t word = index / 64;
    return word < words_.size() && ((words_[word] >> (index % 64)) & 1U) != 0;
  }

  void set(size_t index) {
    const size_t word = index / 64;
    if (word >= words_.size()) {
      words_.resize(word + 1, 0);
    }
    words_[word] |= uint64_t{1} << (index % 64);
  }

  void reset(size_t index) {
    const size_t word = index / 64;
    if (word < words_.size()) {
      words_[word] &= ~(uint64_t{1} << (index % 64));
    }
  }

  // Clears every bit and keeps the storage.
  void clear() { std::fill(words_.begin(), words_.end(), 0); }

  bool none() const {
    return std::all_of(words_.begin(), words_.end(), [](uint64_t word) { return word == 0; });
  }

  // Calls fn(index) for each set bit in ascending order; fn may reset the bit it is given.
  template <class Fn>
  void forEach(Fn&& fn) const {
    for (size_t word = 0; word < words_.size(); ++word) {
      uint64_t bits = words_[word];
      while (bits != 0) {
        fn(word * 64 + static_cast<size_t>(std::countr_zero(bits)));
        bits &= bits - 1;
      }
    }
  }

 private:
  std::vector<uint64_t> words_;
};

}  // namespace plateau::master::allocator
