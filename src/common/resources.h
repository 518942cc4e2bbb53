#pragma once

// Plateau's resource model (Mesos's Resources without protobuf): ranges, single resources, bags of
// resources with exact fixed-point scalar arithmetic, and the compact vector the allocator uses.

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace plateau {

// Scalars are stored as integer thousandths, as in Mesos, so that 0.1 + 0.2 == 0.3 exactly.
inline constexpr int64_t kScalarUnitsPerOne = 1000;
// Largest scalar a parsed resource may carry; keeps sums of many agents far from int64 overflow.
inline constexpr double kMaxScalar = 1e12;

// Rounds a value to the nearest thousandth and returns it in milli-units (saturating).
int64_t scalarToMilli(double value);
double milliToScalar(int64_t milli);

// Inclusive interval [begin, end], e.g. a port range.
struct Range {
  uint64_t begin = 0;
  uint64_t end = 0;
  friend bool operator==(const Range&, const Range&) = default;
};

// A set of unsigned integers stored as intervals.
// Invariants: intervals are sorted by begin, each has begin <= end, and two consecutive intervals
// are separated by at least one missing value (overlapping or adjacent intervals are coalesced).
class Ranges {
 public:
  Ranges() = default;
  // Adds each range; an inverted range (begin > end) adds nothing.
  Ranges(std::initializer_list<Range> ranges);

  void add(Range range);
  void add(const Ranges& other);
  void subtract(Range range);
  void subtract(const Ranges& other);

  bool contains(uint64_t value) const;
  bool contains(Range range) const;
  bool contains(const Ranges& other) const;

  // Number of values held, saturating at UINT64_MAX.
  uint64_t size() const;
  bool empty() const { return intervals_.empty(); }
  const std::vector<Range>& intervals() const { return intervals_; }
  // "[31000-32000, 33000-33005]"; "[]" when empty.
  std::string toString() const;

  friend bool operator==(const Ranges&, const Ranges&) = default;

 private:
  std::vector<Range> intervals_;
};

enum class ResourceType { kScalar, kRanges, kSet };

std::string_view toString(ResourceType type);

// One level of a reservation stack (Mesos's Resource.ReservationInfo). The first entry of a
// stack is the outermost reservation; each further one refines it to a sub-role.
struct Reservation {
  enum class Type { kStatic, kDynamic };
  Type type = Type::kStatic;
  std::string role;
  std::string principal;                                    // dynamic reservations: who made it
  std::vector<std::pair<std::string, std::string>> labels;  // Mesos Labels (key, value)
  friend bool operator==(const Reservation&, const Reservation&) = default;
};

// Mesos's Resource.DiskInfo, as far as persistent volumes need it.
struct DiskInfo {
  enum class Mode { kRW, kRO };
  std::string persistence_id;  // empty: no persistent volume
  std::string persistence_principal;
  bool has_volume = false;
  std::string container_path;  // the volume's path inside the sandbox
  Mode mode = Mode::kRW;
  bool empty() const { return persistence_id.empty() && !has_volume; }
  friend bool operator==(const DiskInfo&, const DiskInfo&) = default;
};

// One named resource of one role. Only the field that matches `type` is meaningful.
struct Resource {
  std::string name;
  ResourceType type = ResourceType::kScalar;
  int64_t scalar_milli = 0;
  Ranges ranges;
  std::set<std::string> items;
  // "*" is unreserved; any other value names the role the resource is reserved for.
  std::string role = "*";
  // The full reservation stack; `role` is always the role of its last entry. Empty with a role
  // other than "*" means one static reservation for `role` (what "cpus(eng):2" says).
  std::vector<Reservation> reservations;
  // Set on disk resources that carry a persistence id and/or a volume.
  DiskInfo disk;
  // Mesos's Resource.revocable: an oversubscribed resource the agent may take back (never
  // reserved, never a persistent volume). Revocable and non-revocable entries never merge.
  bool revocable = false;

  static Resource makeScalar(std::string name, double value, std::string role = "*");
  static Resource makeRanges(std::string name, Ranges ranges, std::string role = "*");
  static Resource makeSet(std::string name, std::set<std::string> items, std::string role = "*");

  double scalar() const { return milliToScalar(scalar_milli); }
  // A scalar <= 0, no ranges, or no items: such an entry is never stored in Resources.
  bool empty() const;
  // Mesos's text form: "cpus:2", "cpus(eng):0.5", "ports:[1-2]", "disks:{a, b}"; a dynamic or
  // refined reservation prints its stack, "cpus(reservations: [(STATIC,eng),(DYNAMIC,eng/a,p)]):1",
  // and a persistent volume "[id:container_path]" after it; a revocable one ends in "{REV}".
  std::string toString() const;

  bool reserved() const { return role != "*"; }
  bool dynamicallyReserved() const;
  bool persistentVolume() const { return !disk.persistence_id.empty(); }
  // The stack with the implicit static reservation spelled out (empty when unreserved).
  std::vector<Reservation> reservationStack() const;
  // Pushes a reservation (a dynamic reservation or refinement) and updates `role`.
  void pushReservation(Reservation reservation);
  // Pops the innermost reservation (UNRESERVE) and updates `role`.
  void popReservation();
  // Same name, type, reservation stack, disk and revocability: such entries are summed.
  bool sameKey(const Resource& other) const;

  friend bool operator==(const Resource& a, const Resource& b);
};

// A bag of resources keyed by (name, role, type), e.g. an agent's total or an offer.
// Invariants: no stored entry is empty(), and no two entries share (name, role, type). Entries keep
// the order in which their keys first appeared; equality ignores that order.
class Resources {
 public:
  Resources() = default;
  Resources(std::initializer_list<Resource> resources);

  // Parses Mesos's text form "cpus:24;mem:4096;ports:[31000-32000];disks:{a,b};cpus(eng):2" or
  // the JSON array form of Mesos's --resources flag. Returns InvalidArgument naming the problem.
  static Result<Resources> parse(std::string_view text);

  Resources& operator+=(const Resource& resource);
  Resources& operator+=(const Resources& other);
  // Removes what it can; nothing drops below zero. Check contains() first for exact arithmetic.
  Resources& operator-=(const Resource& resource);
  Resources& operator-=(const Resources& other);
  friend Resources operator+(Resources left, const Resources& right) { return left += right; }
  friend Resources operator-(Resources left, const Resources& right) { return left -= right; }

  bool contains(const Resource& resource) const;
  bool contains(const Resources& other) const;

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  const std::vector<Resource>& entries() const { return entries_; }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

  // Sum over roles of the scalar resource `name`; 0 when absent.
  double scalar(std::string_view name) const;
  int64_t scalarMilli(std::string_view name) const;
  // Union over roles of the ranges resource `name`.
  Ranges ranges(std::string_view name) const;
  // Distinct names in entry order.
  std::vector<std::string> names() const;
  // The entries a framework of `role` may use: unreserved ones and those reserved for `role`.
  Resources allocatableTo(std::string_view role) const;
  // True when every entry is unreserved.
  bool unreservedOnly() const;
  // The entries reserved (statically or dynamically) for `role` exactly, or unreserved ones.
  Resources reservedTo(std::string_view role) const;
  Resources unreserved() const;
  Resources reserved() const;
  // The revocable entries, and all others.
  Resources revocable() const;
  Resources nonRevocable() const;
  // Entries that are persistent volumes.
  Resources persistentVolumes() const;
  // Each entry with its reservation stack and disk info dropped (what a quota or a filter counts).
  Resources toUnreserved() const;
  // The entries for which pred(entry) holds, copied whole (no merging: keys stay distinct).
  template <class Pred>
  Resources filter(Pred pred) const {
    Resources result;
    result.entries_.reserve(entries_.size());
    for (const Resource& entry : entries_) {
      if (pred(entry)) {
        result.entries_.push_back(entry);
      }
    }
    return result;
  }
  // Moves out the entries for which pred(entry) holds and returns them; the rest stay, in order.
  // The same as `taken = filter(pred); *this -= taken;` without copies or searches.
  template <class Pred>
  Resources extract(Pred pred) {
    Resources taken;
    taken.entries_.reserve(entries_.size());
    size_t kept = 0;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (pred(entries_[i])) {
        taken.entries_.push_back(std::move(entries_[i]));
      } else {
        if (kept != i) {
          entries_[kept] = std::move(entries_[i]);
        }
        ++kept;
      }
    }
    entries_.resize(kept);
    return taken;
  }

  // "cpus:2; mem:1024; ports:[31000-32000]"; "" when empty.
  std::string toString() const;

  friend bool operator==(const Resources& left, const Resources& right);

 private:
  // Whether `resource` is one of entries_ (arithmetic with it must copy it first).
  bool isEntry(const Resource& resource) const;
  Resource* find(const Resource& key);
  const Resource* find(const Resource& key) const;

  std::vector<Resource> entries_;
};

// Compact scalars for the allocator's hot path: fixed slots in exact milli-units.
struct ResourceVector {
  enum Slot : size_t { kCpus = 0, kMem, kDisk, kGpus, kSlotCount };

  std::array<int64_t, kSlotCount> milli{};

  // Sums the non-revocable scalars named cpus, mem, disk and gpus over all roles; other
  // resources (revocable ones included: they count in no share, quota or total) are ignored.
  static ResourceVector of(const Resources& resources);

  double value(Slot slot) const { return milliToScalar(milli[slot]); }
  bool isZero() const;
  // Saturating slot-wise arithmetic; subtraction stops at zero.
  ResourceVector& operator+=(const ResourceVector& other);
  ResourceVector& operator-=(const ResourceVector& other);

  friend bool operator==(const ResourceVector&, const ResourceVector&) = default;
};

}  // namespace plateau
