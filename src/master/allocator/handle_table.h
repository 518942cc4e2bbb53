#pragma once

// Dense integer handles for the allocator's agents, frameworks, roles and seats.
//
// Guarantees: a handle stays valid, and names the same value, from add() until release(); a
// released slot is value-reset and reused last-freed-first, so handles stay small and dense for
// the bitsets indexed by them. A HandleTable also maps each live value's string id to its handle
// (one handle per id). Values are plain structs owned by the table's owner, which alone writes
// them (others get const references).

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace plateau::master::allocator {

constexpr uint32_t kNone = UINT32_MAX;

template <class T>
class SlotTable {
 public:
  // A fresh, value-initialized slot.
  uint32_t add() {
    uint32_t handle;
    if (!free_.empty()) {
      handle = free_.back();
      free_.pop_back();
    } else {
      slots_.emplace_back();
      live_.push_back(0);
      handle = static_cast<uint32_t>(slots_.size() - 1);
    }
    slots_[handle] = T{};
    live_[handle] = 1;
    return handle;
  }
  void release(uint32_t handle) {
    slots_[handle] = T{};
    live_[handle] = 0;
    free_.push_back(handle);
  }

  bool live(uint32_t handle) const { return handle < live_.size() && live_[handle] != 0; }
  T& operator[](uint32_t handle) { return slots_[handle]; }
  const T& operator[](uint32_t handle) const { return slots_[handle]; }
  // One past the highest handle ever given out.
  uint32_t bound() const { return static_cast<uint32_t>(slots_.size()); }

 private:
  std::vector<T> slots_;
  std::vector<uint8_t> live_;
  std::vector<uint32_t> free_;
};

template <class T>
class HandleTable {
 public:
  std::optional<uint32_t> find(const std::string& id) const {
    const auto it = ids_.find(id);
    return it == ids_.end() ? std::nullopt : std::optional(it->second);
  }
  // A fresh slot for an id not in the table.
  uint32_t add(const std::string& id) {
    const uint32_t handle = slots_.add();
    if (names_.size() <= handle) {
      names_.resize(handle + 1);
    }
    names_[handle] = id;
    ids_.emplace(id, handle);
    return handle;
  }
  void release(uint32_t handle) {
    ids_.erase(names_[handle]);
    names_[handle].clear();
    slots_.release(handle);
  }

  const std::string& id(uint32_t handle) const { return names_[handle]; }
  bool live(uint32_t handle) const { return slots_.live(handle); }
  T& operator[](uint32_t handle) { return slots_[handle]; }
  const T& operator[](uint32_t handle) const { return slots_[handle]; }
  uint32_t bound() const { return slots_.bound(); }
  size_t size() const { return ids_.size(); }

 private:
  SlotTable<T> slots_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> ids_;
};

}  // namespace plateau::master::allocator
