#include "common/resources.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace plateau {

namespace {

constexpr uint64_t kMaxValue = std::numeric_limits<uint64_t>::max();

int64_t saturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return sum;
}

std::string formatMilli(int64_t milli) {
  // Mesos prints scalars with three decimals and trims trailing zeros.
  const bool negative = milli < 0;
  const uint64_t magnitude =
      negative ? uint64_t{0} - static_cast<uint64_t>(milli) : static_cast<uint64_t>(milli);
  std::string text = fmt::format("{}{}", negative ? "-" : "", magnitude / kScalarUnitsPerOne);
  if (const uint64_t fraction = magnitude % kScalarUnitsPerOne; fraction != 0) {
    std::string digits = fmt::format("{:03}", fraction);
    digits.erase(digits.find_last_not_of('0') + 1);
    text += '.';
    text += digits;
  }
  return text;
}

bool sameKey(const Resource& a, const Resource& b) { return a.sameKey(b); }

// Compares reservation stacks without building them: an empty stack with a role is the same as
// one explicit static reservation for that role (no principal, no labels).
bool sameStack(const Resource& a, const Resource& b) {
  if (a.role != b.role) {
    return false;
  }
  if (a.reservations.size() == b.reservations.size()) {
    return a.reservations == b.reservations;
  }
  const std::vector<Reservation>& stack = a.reservations.empty() ? b.reservations : a.reservations;
  const std::vector<Reservation>& other = a.reservations.empty() ? a.reservations : b.reservations;
  return other.empty() && stack.size() == 1 && stack[0].type == Reservation::Type::kStatic &&
         stack[0].role == a.role && stack[0].principal.empty() && stack[0].labels.empty();
}

std::string labelsText(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string text = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    text += (i == 0 ? "" : ", ") + labels[i].first;
    if (!labels[i].second.empty()) {
      text += ": " + labels[i].second;
    }
  }
  return text + "}";
}

}  // namespace

int64_t scalarToMilli(double value) {
  if (std::isnan(value)) {
    return 0;
  }
  constexpr double kLimit = 9e18;
  const double scaled = value * static_cast<double>(kScalarUnitsPerOne);
  if (scaled >= kLimit) {
    return std::numeric_limits<int64_t>::max();
  }
  if (scaled <= -kLimit) {
    return std::numeric_limits<int64_t>::min();
  }
  return std::llround(scaled);
}

double milliToScalar(int64_t milli) {
  return static_cast<double>(milli) / static_cast<double>(kScalarUnitsPerOne);
}

// ---------------------------------------------------------------------------------------------
// Ranges

Ranges::Ranges(std::initializer_list<Range> ranges) {
  for (const Range& range : ranges) {
    add(range);
  }
}

void Ranges::add(Range range) {
  if (range.begin > range.end) {
    return;
  }
  // First interval that is not wholly before `range` with a gap between them.
  auto first = std::lower_bound(
      intervals_.begin(), intervals_.end(), range,
      [](const Range& x, const Range& r) { return x.end != kMaxValue && x.end + 1 < r.begin; });
  auto last = first;
  while (last != intervals_.end() && (range.end == kMaxValue || last->begin <= range.end + 1)) {
    range.begin = std::min(range.begin, last->begin);
    range.end = std::max(range.end, last->end);
    ++last;
  }
  if (first == last) {
    intervals_.insert(first, range);
    return;
  }
  *first = range;
  intervals_.erase(first + 1, last);
}

void Ranges::add(const Ranges& other) {
  if (&other == this) {
    return;
  }
  for (const Range& range : other.intervals_) {
    add(range);
  }
}

void Ranges::subtract(Range range) {
  if (range.begin > range.end) {
    return;
  }
  auto first = std::lower_bound(intervals_.begin(), intervals_.end(), range,
                                [](const Range& x, const Range& r) { return x.end < r.begin; });
  auto last = first;
  std::vector<Range> kept;
  while (last != intervals_.end() && last->begin <= range.end) {
    if (last->begin < range.begin) {
      kept.push_back({last->begin, range.begin - 1});
    }
    if (last->end > range.end) {
      kept.push_back({range.end + 1, last->end});
    }
    ++last;
  }
  const auto position = intervals_.erase(first, last);
  intervals_.insert(position, kept.begin(), kept.end());
}

void Ranges::subtract(const Ranges& other) {
  if (&other == this) {
    intervals_.clear();
    return;
  }
  for (const Range& range : other.intervals_) {
    subtract(range);
  }
}

bool Ranges::contains(uint64_t value) const { return contains(Range{value, value}); }

bool Ranges::contains(Range range) const {
  if (range.begin > range.end) {
    return true;
  }
  auto it = std::lower_bound(intervals_.begin(), intervals_.end(), range,
                             [](const Range& x, const Range& r) { return x.end < r.begin; });
  return it != intervals_.end() && it->begin <= range.begin && it->end >= range.end;
}

bool Ranges::contains(const Ranges& other) const {
  return std::all_of(other.intervals_.begin(), other.intervals_.end(),
                     [this](const Range& range) { return contains(range); });
}

uint64_t Ranges::size() const {
  uint64_t total = 0;
  for (const Range& range : intervals_) {
    const uint64_t width = range.end - range.begin;
    if (width == kMaxValue || total > kMaxValue - width - 1) {
      return kMaxValue;
    }
    total += width + 1;
  }
  return total;
}

std::string Ranges::toString() const {
  std::string text = "[";
  for (size_t i = 0; i < intervals_.size(); ++i) {
    text += fmt::format("{}{}-{}", i == 0 ? "" : ", ", intervals_[i].begin, intervals_[i].end);
  }
  text += ']';
  return text;
}

// ---------------------------------------------------------------------------------------------
// Resource

std::string_view toString(ResourceType type) {
  switch (type) {
    case ResourceType::kScalar:
      return "SCALAR";
    case ResourceType::kRanges:
      return "RANGES";
    case ResourceType::kSet:
      return "SET";
  }
  return "UNKNOWN";
}

Resource Resource::makeScalar(std::string name, double value, std::string role) {
  Resource resource;
  resource.name = std::move(name);
  resource.type = ResourceType::kScalar;
  resource.scalar_milli = scalarToMilli(value);
  resource.role = std::move(role);
  return resource;
}

Resource Resource::makeRanges(std::string name, Ranges ranges, std::string role) {
  Resource resource;
  resource.name = std::move(name);
  resource.type = ResourceType::kRanges;
  resource.ranges = std::move(ranges);
  resource.role = std::move(role);
  return resource;
}

Resource Resource::makeSet(std::string name, std::set<std::string> items, std::string role) {
  Resource resource;
  resource.name = std::move(name);
  resource.type = ResourceType::kSet;
  resource.items = std::move(items);
  resource.role = std::move(role);
  return resource;
}

bool Resource::empty() const {
  switch (type) {
    case ResourceType::kScalar:
      return scalar_milli <= 0;
    case ResourceType::kRanges:
      return ranges.empty();
    case ResourceType::kSet:
      return items.empty();
  }
  return true;
}

bool Resource::dynamicallyReserved() const {
  return !reservations.empty() && reservations.back().type == Reservation::Type::kDynamic;
}

std::vector<Reservation> Resource::reservationStack() const {
  if (!reservations.empty() || role == "*") {
    return reservations;
  }
  Reservation implicit;
  implicit.type = Reservation::Type::kStatic;
  implicit.role = role;
  return {implicit};
}

void Resource::pushReservation(Reservation reservation) {
  reservations = reservationStack();
  role = reservation.role;
  reservations.push_back(std::move(reservation));
}

void Resource::popReservation() {
  reservations = reservationStack();
  if (!reservations.empty()) {
    reservations.pop_back();
  }
  role = reservations.empty() ? "*" : reservations.back().role;
}

bool Resource::sameKey(const Resource& other) const {
  return type == other.type && name == other.name && revocable == other.revocable &&
         sameStack(*this, other) && disk == other.disk;
}

bool operator==(const Resource& a, const Resource& b) {
  if (!a.sameKey(b)) {
    return false;
  }
  switch (a.type) {
    case ResourceType::kScalar:
      return a.scalar_milli == b.scalar_milli;
    case ResourceType::kRanges:
      return a.ranges == b.ranges;
    case ResourceType::kSet:
      return a.items == b.items;
  }
  return false;
}

std::string Resource::toString() const {
  std::string text = name;
  const bool simple =
      reservations.empty() ||
      (reservations.size() == 1 && reservations[0].type == Reservation::Type::kStatic &&
       reservations[0].principal.empty() && reservations[0].labels.empty());
  if (role != "*" && simple) {
    text += fmt::format("({})", role);
  } else if (role != "*") {
    text += "(reservations: [";
    for (size_t i = 0; i < reservations.size(); ++i) {
      const Reservation& r = reservations[i];
      text += fmt::format("{}({},{}", i == 0 ? "" : ",",
                          r.type == Reservation::Type::kStatic ? "STATIC" : "DYNAMIC", r.role);
      if (!r.principal.empty()) {
        text += "," + r.principal;
      }
      if (!r.labels.empty()) {
        text += "," + labelsText(r.labels);
      }
      text += ")";
    }
    text += "])";
  }
  if (!disk.empty()) {
    text += "[" + disk.persistence_id;
    if (disk.has_volume) {
      text += ":" + disk.container_path;
      if (disk.mode == DiskInfo::Mode::kRO) {
        text += ":ro";
      }
    }
    text += "]";
  }
  if (revocable) {
    text += "{REV}";
  }
  text += ':';
  switch (type) {
    case ResourceType::kScalar:
      text += formatMilli(scalar_milli);
      break;
    case ResourceType::kRanges:
      text += ranges.toString();
      break;
    case ResourceType::kSet: {
      text += '{';
      bool first = true;
      for (const std::string& item : items) {
        text += first ? "" : ", ";
        text += item;
        first = false;
      }
      text += '}';
      break;
    }
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Resources

Resources::Resources(std::initializer_list<Resource> resources) {
  for (const Resource& resource : resources) {
    *this += resource;
  }
}

Resource* Resources::find(const Resource& key) {
  for (Resource& entry : entries_) {
    if (sameKey(entry, key)) {
      return &entry;
    }
  }
  return nullptr;
}

const Resource* Resources::find(const Resource& key) const {
  for (const Resource& entry : entries_) {
    if (sameKey(entry, key)) {
      return &entry;
    }
  }
  return nullptr;
}

bool Resources::isEntry(const Resource& resource) const {
  return !entries_.empty() && &resource >= entries_.data() &&
         &resource < entries_.data() + entries_.size();
}

Resources& Resources::operator+=(const Resource& resource) {
  if (resource.empty()) {
    return *this;
  }
  if (isEntry(resource)) {
    const Resource copy = resource;
    return *this += copy;
  }
  Resource* entry = find(resource);
  if (entry == nullptr) {
    entries_.push_back(resource);
    return *this;
  }
  switch (resource.type) {
    case ResourceType::kScalar:
      entry->scalar_milli = saturatingAdd(entry->scalar_milli, resource.scalar_milli);
      break;
    case ResourceType::kRanges:
      entry->ranges.add(resource.ranges);
      break;
    case ResourceType::kSet:
      entry->items.insert(resource.items.begin(), resource.items.end());
      break;
  }
  return *this;
}

Resources& Resources::operator+=(const Resources& other) {
  if (&other == this) {
    const Resources copy = other;
    return *this += copy;
  }
  for (const Resource& resource : other.entries_) {
    *this += resource;
  }
  return *this;
}

Resources& Resources::operator-=(const Resource& resource) {
  if (resource.empty()) {
    return *this;
  }
  if (isEntry(resource)) {
    const Resource copy = resource;
    return *this -= copy;
  }
  Resource* entry = find(resource);
  if (entry == nullptr) {
    return *this;
  }
  if (resource.persistentVolume() && entry->scalar_milli != resource.scalar_milli) {
    return *this;  // a volume is taken whole or not at all
  }
  switch (resource.type) {
    case ResourceType::kScalar:
      entry->scalar_milli = std::max<int64_t>(0, entry->scalar_milli - resource.scalar_milli);
      break;
    case ResourceType::kRanges:
      entry->ranges.subtract(resource.ranges);
      break;
    case ResourceType::kSet:
      for (const std::string& item : resource.items) {
        entry->items.erase(item);
      }
      break;
  }
  if (entry->empty()) {
    entries_.erase(entries_.begin() + (entry - entries_.data()));
  }
  return *this;
}

Resources& Resources::operator-=(const Resources& other) {
  if (&other == this) {
    entries_.clear();
    return *this;
  }
  for (const Resource& resource : other.entries_) {
    *this -= resource;
  }
  return *this;
}

bool Resources::contains(const Resource& resource) const {
  if (resource.empty()) {
    return true;
  }
  const Resource* entry = find(resource);
  if (entry == nullptr) {
    return false;
  }
  if (resource.persistentVolume()) {
    return entry->scalar_milli == resource.scalar_milli;
  }
  switch (resource.type) {
    case ResourceType::kScalar:
      return entry->scalar_milli >= resource.scalar_milli;
    case ResourceType::kRanges:
      return entry->ranges.contains(resource.ranges);
    case ResourceType::kSet:
      return std::includes(entry->items.begin(), entry->items.end(), resource.items.begin(),
                           resource.items.end());
  }
  return false;
}

bool Resources::contains(const Resources& other) const {
  return std::all_of(other.entries_.begin(), other.entries_.end(),
                     [this](const Resource& resource) { return contains(resource); });
}

double Resources::scalar(std::string_view name) const { return milliToScalar(scalarMilli(name)); }

int64_t Resources::scalarMilli(std::string_view name) const {
  int64_t total = 0;
  for (const Resource& entry : entries_) {
    if (entry.type == ResourceType::kScalar && entry.name == name) {
      total = saturatingAdd(total, entry.scalar_milli);
    }
  }
  return total;
}

Ranges Resources::ranges(std::string_view name) const {
  Ranges total;
  for (const Resource& entry : entries_) {
    if (entry.type == ResourceType::kRanges && entry.name == name) {
      total.add(entry.ranges);
    }
  }
  return total;
}

std::vector<std::string> Resources::names() const {
  std::vector<std::string> names;
  for (const Resource& entry : entries_) {
    if (std::find(names.begin(), names.end(), entry.name) == names.end()) {
      names.push_back(entry.name);
    }
  }
  return names;
}

Resources Resources::allocatableTo(std::string_view role) const {
  Resources result;
  for (const Resource& entry : entries_) {
    if (entry.role == "*" || entry.role == role) {
      result.entries_.push_back(entry);
    }
  }
  return result;
}

bool Resources::unreservedOnly() const {
  return std::all_of(entries_.begin(), entries_.end(),
                     [](const Resource& entry) { return entry.role == "*"; });
}

Resources Resources::reservedTo(std::string_view role) const {
  Resources result;
  result.entries_.reserve(entries_.size());
  for (const Resource& entry : entries_) {
    if (entry.role == role) {
      result.entries_.push_back(entry);
    }
  }
  return result;
}

Resources Resources::unreserved() const { return reservedTo("*"); }

Resources Resources::revocable() const {
  return filter([](const Resource& entry) { return entry.revocable; });
}

Resources Resources::nonRevocable() const {
  return filter([](const Resource& entry) { return !entry.revocable; });
}

Resources Resources::reserved() const {
  Resources result;
  result.entries_.reserve(entries_.size());
  for (const Resource& entry : entries_) {
    if (entry.role != "*") {
      result.entries_.push_back(entry);
    }
  }
  return result;
}

Resources Resources::persistentVolumes() const {
  Resources result;
  for (const Resource& entry : entries_) {
    if (entry.persistentVolume()) {
      result.entries_.push_back(entry);
    }
  }
  return result;
}

Resources Resources::toUnreserved() const {
  Resources result;
  for (Resource entry : entries_) {
    entry.role = "*";
    entry.reservations.clear();
    entry.disk = DiskInfo{};
    result += entry;
  }
  return result;
}

std::string Resources::toString() const {
  std::string text;
  for (const Resource& entry : entries_) {
    if (!text.empty()) {
      text += "; ";
    }
    text += entry.toString();
  }
  return text;
}

bool operator==(const Resources& left, const Resources& right) {
  if (left.entries_.size() != right.entries_.size()) {
    return false;
  }
  return std::all_of(left.entries_.begin(), left.entries_.end(), [&right](const Resource& entry) {
    const Resource* other = right.find(entry);
    return other != nullptr && *other == entry;
  });
}

// ---------------------------------------------------------------------------------------------
// ResourceVector

ResourceVector ResourceVector::of(const Resources& resources) {
  ResourceVector vector;
  for (const Resource& entry : resources) {
    if (entry.type != ResourceType::kScalar || entry.revocable) {
      continue;
    }
    Slot slot = kSlotCount;
    if (entry.name == "cpus") {
      slot = kCpus;
    } else if (entry.name == "mem") {
      slot = kMem;
    } else if (entry.name == "disk") {
      slot = kDisk;
    } else if (entry.name == "gpus") {
      slot = kGpus;
    }
    if (slot != kSlotCount) {
      vector.milli[slot] = saturatingAdd(vector.milli[slot], entry.scalar_milli);
    }
  }
  return vector;
}

bool ResourceVector::isZero() const {
  return std::all_of(milli.begin(), milli.end(), [](int64_t value) { return value == 0; });
}

ResourceVector& ResourceVector::operator+=(const ResourceVector& other) {
  for (size_t i = 0; i < kSlotCount; ++i) {
    milli[i] = saturatingAdd(milli[i], other.milli[i]);
  }
  return *this;
}

ResourceVector& ResourceVector::operator-=(const ResourceVector& other) {
  for (size_t i = 0; i < kSlotCount; ++i) {
    milli[i] = std::max<int64_t>(0, milli[i] - other.milli[i]);
  }
  return *this;
}

}  // namespace plateau
