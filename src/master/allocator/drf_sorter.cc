#include "master/allocator/drf_sorter.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

#include "common/invariant.h"

namespace plateau::master::allocator {

namespace {

[[noreturn]] void die(const char* what, uint32_t handle) {
  invariantBroken(fmt::format("DrfSorter: {} (handle {})", what, handle));
}

bool validWeight(double weight) { return std::isfinite(weight) && weight > 0; }

}  // namespace

double dominantShare(const ResourceVector& allocation, const ResourceVector& total) {
  double share = 0.0;
  for (size_t slot = 0; slot < ResourceVector::kSlotCount; ++slot) {
    if (total.milli[slot] > 0) {
      share = std::max(share, static_cast<double>(allocation.milli[slot]) /
                                  static_cast<double>(total.milli[slot]));
    }
  }
  return share;
}

DrfSorter::Client& DrfSorter::client(Handle handle) {
  if (handle >= clients_.size() || !clients_[handle].live) {
    die("unknown client", handle);
  }
  return clients_[handle];
}

const DrfSorter::Client& DrfSorter::client(Handle handle) const {
  if (handle >= clients_.size() || !clients_[handle].live) {
    die("unknown client", handle);
  }
  return clients_[handle];
}

Result<DrfSorter::Handle> DrfSorter::add(std::string name, double weight) {
  if (name.empty()) {
    return invalidArgument("sorter client name is empty");
  }
  if (!validWeight(weight)) {
    return invalidArgument(fmt::format("weight {} of '{}' is not positive", weight, name));
  }
  if (names_.contains(name)) {
    return std::unexpected(
        Status(StatusCode::kAlreadyExists, fmt::format("sorter client '{}' exists", name)));
  }
  Handle handle = 0;
  if (!free_handles_.empty()) {
    handle = free_handles_.back();
    free_handles_.pop_back();
  } else {
    handle = static_cast<Handle>(clients_.size());
    clients_.emplace_back();
  }
  names_.emplace(name, handle);
  Client& added = clients_[handle];
  added = Client{};
  added.name = std::move(name);
  added.weight = weight;
  added.live = true;
  activate(handle);
  return handle;
}

void DrfSorter::remove(Handle handle) {
  Client& removed = client(handle);
  if (removed.active) {
    eraseEntry(handle);
  }
  names_.erase(removed.name);
  removed = Client{};
  free_handles_.push_back(handle);
}

std::optional<DrfSorter::Handle> DrfSorter::find(std::string_view name) const {
  const auto it = names_.find(std::string(name));
  if (it == names_.end()) {
    return std::nullopt;
  }
  return it->second;
}

void DrfSorter::activate(Handle handle) {
  Client& activated = client(handle);
  if (activated.active) {
    return;
  }
  activated.active = true;
  activated.share = computeShare(activated);
  insertEntry(handle);
}

void DrfSorter::deactivate(Handle handle) {
  Client& deactivated = client(handle);
  if (!deactivated.active) {
    return;
  }
  eraseEntry(handle);
  deactivated.active = false;
}

bool DrfSorter::isActive(Handle handle) const { return client(handle).active; }

Status DrfSorter::setWeight(Handle handle, double weight) {
  if (!validWeight(weight)) {
    return Status(StatusCode::kInvalidArgument,
                  fmt::format("weight {} of '{}' is not positive", weight, client(handle).name));
  }
  client(handle).weight = weight;
  updateShare(handle);
  return Status::ok();
}

void DrfSorter::allocated(Handle handle, const ResourceVector& resources) {
  client(handle).allocation += resources;
  updateShare(handle);
}

void DrfSorter::unallocated(Handle handle, const ResourceVector& resources) {
  client(handle).allocation -= resources;
  updateShare(handle);
}

void DrfSorter::setTotal(const ResourceVector& total) {
  if (total == total_) {
    return;
  }
  total_ = total;
  stale_ = true;
}

const std::string& DrfSorter::name(Handle handle) const { return client(handle).name; }

double DrfSorter::weight(Handle handle) const { return client(handle).weight; }

const ResourceVector& DrfSorter::allocation(Handle handle) const {
  return client(handle).allocation;
}

double DrfSorter::dominantShare(Handle handle) const {
  return plateau::master::allocator::dominantShare(client(handle).allocation, total_);
}

double DrfSorter::weightedShare(Handle handle) {
  refresh();
  const Client& c = client(handle);
  return c.active ? c.share : computeShare(c);
}

std::vector<DrfSorter::Handle> DrfSorter::sort() {
  refresh();
  std::vector<Handle> handles;
  handles.reserve(order_.size());
  for (const Entry& entry : order_) {
    handles.push_back(entry.client);
  }
  return handles;
}

double DrfSorter::computeShare(const Client& c) const {
  return plateau::master::allocator::dominantShare(c.allocation, total_) / c.weight;
}

bool DrfSorter::before(const Entry& a, const Entry& b) const {
  if (a.share != b.share) {
    return a.share < b.share;
  }
  return clients_[a.client].name < clients_[b.client].name;
}

size_t DrfSorter::indexOf(Handle handle) const {
  const Entry key{clients_[handle].share, handle};
  const auto it = std::lower_bound(order_.begin(), order_.end(), key,
                                   [this](const Entry& a, const Entry& b) { return before(a, b); });
  if (it == order_.end() || it->client != handle) {
    die("sorted order lost a client", handle);
  }
  return static_cast<size_t>(it - order_.begin());
}

void DrfSorter::insertEntry(Handle handle) {
  // While stale, order_ is rebuilt wholesale by the next refresh().
  if (stale_) {
    return;
  }
  const Entry entry{clients_[handle].share, handle};
  const auto it = std::lower_bound(order_.begin(), order_.end(), entry,
                                   [this](const Entry& a, const Entry& b) { return before(a, b); });
  order_.insert(it, entry);
}

void DrfSorter::eraseEntry(Handle handle) {
  if (stale_) {
    return;
  }
  order_.erase(order_.begin() + static_cast<std::ptrdiff_t>(indexOf(handle)));
}

void DrfSorter::updateShare(Handle handle) {
  Client& updated = clients_[handle];
  if (stale_ || !updated.active) {
    updated.share = computeShare(updated);
    return;
  }
  const auto it = order_.begin() + static_cast<std::ptrdiff_t>(indexOf(handle));
  updated.share = computeShare(updated);
  it->share = updated.share;
  // Only the entries between the old and the new position shift; the rest stays in place.
  const auto less = [this](const Entry& a, const Entry& b) { return before(a, b); };
  const auto right = std::upper_bound(it + 1, order_.end(), *it, less);
  if (right != it + 1) {
    std::rotate(it, it + 1, right);
    return;
  }
  const auto left = std::lower_bound(order_.begin(), it, *it, less);
  if (left != it) {
    std::rotate(left, it, it + 1);
  }
}

void DrfSorter::refresh() {
  if (!stale_) {
    return;
  }
  order_.clear();
  for (Handle handle = 0; handle < clients_.size(); ++handle) {
    Client& c = clients_[handle];
    if (c.live && c.active) {
      c.share = computeShare(c);
      order_.push_back({c.share, handle});
    }
  }
  std::sort(order_.begin(), order_.end(),
            [this](const Entry& a, const Entry& b) { return before(a, b); });
  stale_ = false;
}

}  // namespace plateau::master::allocator
