#include "agent/detect.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

namespace plateau::agent {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// Mesos keeps back 1 GB of memory (or half below 2 GB) and 5 GB of disk (or half below 10 GB).
double usable(double total, double reserve, double threshold) {
  return total >= threshold ? total - reserve : total / 2;
}

}  // namespace

Result<Resources> agentResources(const std::string& flag, const std::string& work_dir) {
  Resources given;
  if (!flag.empty()) {
    auto parsed = Resources::parse(flag);
    if (!parsed) {
      return invalidArgument(
          fmt::format("Invalid value for flag '--resources': {}", parsed.error().message()));
    }
    given = *parsed;
  }
  auto names = given.names();
  auto has = [&](const char* name) { return std::ranges::find(names, name) != names.end(); };
  Resources detected;
  if (!has("cpus")) {
    detected += Resource::makeScalar("cpus", std::max(1u, std::thread::hardware_concurrency()));
  }
  if (!has("mem")) {
    double total = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE) / kMiB;
    detected += Resource::makeScalar("mem", std::floor(usable(total, 1024, 2048)));
  }
  if (!has("disk")) {
    std::error_code ec;
    std::filesystem::create_directories(work_dir, ec);
    struct statvfs st {};
    double total = 0;
    if (statvfs(work_dir.c_str(), &st) == 0) {
      total = static_cast<double>(st.f_blocks) * st.f_frsize / kMiB;
    }
    detected += Resource::makeScalar("disk", std::floor(usable(total, 5120, 10240)));
  }
  if (!has("ports")) {
    detected += Resource::makeRanges("ports", Ranges{{31000, 32000}});
  }
  return given + detected;
}

Result<google::protobuf::RepeatedPtrField<mesos::v1::Attribute>> parseAttributes(
    const std::string& flag) {
  google::protobuf::RepeatedPtrField<mesos::v1::Attribute> out;
  size_t pos = 0;
  while (pos < flag.size()) {
    size_t end = flag.find(';', pos);
    if (end == std::string::npos) {
      end = flag.size();
    }
    std::string item = flag.substr(pos, end - pos);
    pos = end + 1;
    if (item.empty()) {
      continue;
    }
    size_t colon = item.find(':');
    if (colon == std::string::npos || colon == 0) {
      return invalidArgument(fmt::format(
          "Invalid value for flag '--attributes': '{}' is not of the form name:value", item));
    }
    auto* a = out.Add();
    a->set_name(item.substr(0, colon));
    std::string value = item.substr(colon + 1);
    char* parsed_end = nullptr;
    double number = std::strtod(value.c_str(), &parsed_end);
    if (!value.empty() && parsed_end == value.c_str() + value.size()) {
      a->set_type(mesos::v1::Value::SCALAR);
      a->mutable_scalar()->set_value(number);
    } else if (value.size() > 2 && value.front() == '[' && value.back() == ']') {
      auto ranges = Resources::parse("r:" + value);
      if (!ranges) {
        return invalidArgument(
            fmt::format("Invalid value for flag '--attributes': {}", ranges.error().message()));
      }
      a->set_type(mesos::v1::Value::RANGES);
      Ranges parsed = ranges->ranges("r");
      for (const auto& r : parsed.intervals()) {
        auto* range = a->mutable_ranges()->add_range();
        range->set_begin(r.begin);
        range->set_end(r.end);
      }
    } else {
      a->set_type(mesos::v1::Value::TEXT);
      a->mutable_text()->set_value(value);
    }
  }
  return out;
}

Resources withDefaultRole(const Resources& resources, const std::string& role) {
  if (role == "*") {
    return resources;
  }
  Resources out;
  for (Resource entry : resources) {
    if (!entry.reserved()) {
      entry.role = role;  // one static reservation (as "cpus(role):N" says)
    }
    out += entry;
  }
  return out;
}

}  // namespace plateau::agent
