#include "jobs/time_zone.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "jobs/civil.h"

namespace plateau::jobs {

namespace {

Status bad(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }

// A POSIX TZ string, read left to right.
class TzReader {
 public:
  explicit TzReader(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  bool take(char c) {
    if (!done() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  // "CET" or "<+0330>": at least three characters.
  bool name() {
    if (take('<')) {
      size_t close = s_.find('>', pos_);
      if (close == std::string_view::npos || close - pos_ < 3) {
        return false;
      }
      pos_ = close + 1;
      return true;
    }
    size_t start = pos_;
    while (!done() && std::isalpha(static_cast<unsigned char>(s_[pos_]))) {
      ++pos_;
    }
    return pos_ - start >= 3;
  }
  std::optional<int> number(int max) {
    size_t start = pos_;
    int v = 0;
    while (!done() && std::isdigit(static_cast<unsigned char>(s_[pos_])) && v <= max) {
      v = v * 10 + (s_[pos_++] - '0');
    }
    if (pos_ == start || v > max) {
      return std::nullopt;
    }
    return v;
  }
  // [+-]hh[:mm[:ss]] in seconds.
  std::optional<int> time(int max_hours) {
    int sign = take('-') ? -1 : (take('+'), 1);
    auto h = number(max_hours);
    if (!h) {
      return std::nullopt;
    }
    int total = *h * 3600;
    for (int unit : {60, 1}) {
      if (!take(':')) {
        break;
      }
      auto part = number(59);
      if (!part) {
        return std::nullopt;
      }
      total += *part * unit;
    }
    return sign * total;
  }
  std::optional<PosixRule::When> when() {
    PosixRule::When w;
    if (take('J')) {
      auto d = number(365);
      if (!d || *d < 1) {
        return std::nullopt;
      }
      w.kind = PosixRule::When::Kind::kJulianNoLeap;
      w.day = *d;
    } else if (take('M')) {
      auto m = number(12);
      auto wk = m && take('.') ? number(5) : std::nullopt;
      auto d = wk && take('.') ? number(6) : std::nullopt;
      if (!d || *m < 1 || *wk < 1) {
        return std::nullopt;
      }
      w.month = *m;
      w.week = *wk;
      w.day = *d;
    } else {
      auto d = number(365);
      if (!d) {
        return std::nullopt;
      }
      w.kind = PosixRule::When::Kind::kZeroBasedDay;
      w.day = *d;
    }
    if (take('/')) {
      auto t = time(167);
      if (!t) {
        return std::nullopt;
      }
      w.time = *t;
    }
    return w;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// Days since the epoch of the rule's date in `year`.
int64_t dayOf(const PosixRule::When& w, int64_t year) {
  int64_t jan1 = daysFromCivil(year, 1, 1);
  switch (w.kind) {
    case PosixRule::When::Kind::kJulianNoLeap:
      // Day 60 is March 1st whether or not the year has a February 29th.
      return jan1 + w.day - 1 + (isLeapYear(year) && w.day >= 60 ? 1 : 0);
    case PosixRule::When::Kind::kZeroBasedDay:
      return jan1 + w.day;
    case PosixRule::When::Kind::kMonthWeekDay:
    default: {
      int64_t first = daysFromCivil(year, w.month, 1);
      int64_t weekday = ((first % 7) + 11) % 7;  // 1970-01-01 was a Thursday (4)
      int64_t day = first + (w.day - weekday + 7) % 7 + 7 * (w.week - 1);
      int64_t last = first + daysInMonth(year, w.month) - 1;
      while (day > last) {
        day -= 7;  // week 5 means the last such weekday
      }
      return day;
    }
  }
}

}  // namespace

int PosixRule::offsetAt(int64_t utc) const {
  if (!has_dst) {
    return std_offset;
  }
  int64_t year = civilFromDays(floorDays(utc + std_offset)).y;
  // Each change happens at a local time read in the offset in effect before it.
  int64_t begins = dayOf(start, year) * 86400 + start.time - std_offset;
  int64_t ends = dayOf(end, year) * 86400 + end.time - dst_offset;
  bool dst = begins < ends ? (utc >= begins && utc < ends) : (utc < ends || utc >= begins);
  return dst ? dst_offset : std_offset;
}

Result<PosixRule> parsePosixRule(std::string_view text) {
  auto fail = [&] { return std::unexpected(bad(fmt::format("bad TZ rule '{}'", text))); };
  TzReader r(text);
  PosixRule rule;
  auto std_west = r.name() ? r.time(24) : std::nullopt;
  if (!std_west) {
    return fail();
  }
  rule.std_offset = -*std_west;  // POSIX counts west of UTC
  if (r.done()) {
    return rule;
  }
  if (!r.name()) {
    return fail();
  }
  rule.has_dst = true;
  rule.dst_offset = rule.std_offset + 3600;
  if (!r.done() && !r.take(',')) {
    auto dst_west = r.time(24);
    if (!dst_west || !r.take(',')) {
      return fail();
    }
    rule.dst_offset = -*dst_west;
  } else if (r.done()) {
    // No rule given: POSIX leaves it to the system; the US rule is the customary default.
    rule.start = {.day = 0, .month = 3, .week = 2};
    rule.end = {.day = 0, .month = 11, .week = 1};
    return rule;
  }
  auto start = r.when();
  auto end = start && r.take(',') ? r.when() : std::nullopt;
  if (!end || !r.done()) {
    return fail();
  }
  rule.start = *start;
  rule.end = *end;
  return rule;
}

struct TimeZone::Data {
  std::string name;
  bool fixed = true;
  int initial_offset = 0;                        // before the first transition
  std::vector<std::pair<int64_t, int>> changes;  // (instant, offset from then), sorted
  std::optional<PosixRule> rule;                 // after the last transition
};

TimeZone::TimeZone() : TimeZone(std::make_shared<Data>(Data{.name = "UTC"})) {}

TimeZone TimeZone::fixed(int offset_seconds) {
  int a = std::abs(offset_seconds);
  auto d = std::make_shared<Data>();
  d->name = fmt::format("{}{:02}:{:02}", offset_seconds < 0 ? '-' : '+', a / 3600, a / 60 % 60);
  d->initial_offset = offset_seconds;
  return TimeZone(std::move(d));
}

const std::string& TimeZone::name() const { return data_->name; }
bool TimeZone::isFixed() const { return data_->fixed; }

int TimeZone::offsetAt(double utc) const {
  const Data& d = *data_;
  if (d.fixed) {
    return d.initial_offset;
  }
  auto t = static_cast<int64_t>(std::floor(utc));
  auto after = std::upper_bound(d.changes.begin(), d.changes.end(), t,
                                [](int64_t v, const auto& change) { return v < change.first; });
  if (after == d.changes.end() && d.rule) {
    return d.rule->offsetAt(t);
  }
  return after == d.changes.begin() ? d.initial_offset : std::prev(after)->second;
}

double TimeZone::toUtc(double local) const {
  if (data_->fixed) {
    return local - data_->initial_offset;
  }
  // No zone changes its offset twice within a day: the offsets a day either side are the
  // only candidates.
  int before = offsetAt(local - 86400);
  int after = offsetAt(local + 86400);
  std::optional<double> best;
  for (int offset : {before, after}) {
    double utc = local - offset;
    if (offsetAt(utc) == offset && (!best || utc < *best)) {
      best = utc;
    }
  }
  return best ? *best : local - before;  // in a gap: as far past the change as into the gap
}

namespace {

// Big-endian integers from a TZif file, bounds-checked.
class TzifReader {
 public:
  explicit TzifReader(std::string_view b) : b_(b) {}
  bool has(size_t n) const { return pos_ + n <= b_.size(); }
  int64_t read(size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      v = (v << 8) | static_cast<unsigned char>(b_[pos_ + i]);
    }
    pos_ += n;
    int shift = static_cast<int>(64 - 8 * n);
    return static_cast<int64_t>(v << shift) >> shift;  // sign-extended
  }
  void skip(size_t n) { pos_ += n; }
  std::string_view rest() const { return b_.substr(std::min(pos_, b_.size())); }

 private:
  std::string_view b_;
  size_t pos_ = 0;
};

struct TzifCounts {
  char version = 0;
  int64_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;

  size_t blockSize(size_t time_size) const {
    return static_cast<size_t>(time * static_cast<int64_t>(time_size) + time + type * 6 + chars +
                               leap * static_cast<int64_t>(time_size + 4) + isstd + isut);
  }
};

std::optional<TzifCounts> readHeader(TzifReader& r) {
  if (!r.has(44) || r.rest().substr(0, 4) != "TZif") {
    return std::nullopt;
  }
  r.skip(4);
  TzifCounts c;
  c.version = static_cast<char>(r.read(1));
  r.skip(15);
  for (int64_t* n : {&c.isut, &c.isstd, &c.leap, &c.time, &c.type, &c.chars}) {
    *n = r.read(4);
    if (*n < 0 || *n > 1'000'000) {
      return std::nullopt;
    }
  }
  if (c.type < 1 || (c.isut != 0 && c.isut != c.type) || (c.isstd != 0 && c.isstd != c.type)) {
    return std::nullopt;
  }
  return c;
}

}  // namespace

Result<TimeZone> TimeZone::fromTzif(std::string name, std::string_view bytes) {
  auto fail = [&](std::string_view why) {
    return std::unexpected(bad(fmt::format("time zone '{}': {}", name, why)));
  };
  TzifReader r(bytes);
  auto counts = readHeader(r);
  if (!counts) {
    return fail("not a TZif file");
  }
  size_t time_size = 4;
  if (counts->version >= '2') {
    if (!r.has(counts->blockSize(4))) {
      return fail("truncated");
    }
    r.skip(counts->blockSize(4));  // the 32-bit data repeats below with 64-bit times
    counts = readHeader(r);
    if (!counts) {
      return fail("bad second header");
    }
    time_size = 8;
  }
  if (!r.has(counts->blockSize(time_size))) {
    return fail("truncated");
  }
  std::vector<int64_t> times(static_cast<size_t>(counts->time));
  for (auto& t : times) {
    t = r.read(time_size);
  }
  std::vector<size_t> indices(times.size());
  for (auto& i : indices) {
    i = static_cast<size_t>(r.read(1));
    if (i >= static_cast<size_t>(counts->type)) {
      return fail("transition to an unknown type");
    }
  }
  std::vector<int> offsets(static_cast<size_t>(counts->type));
  for (auto& o : offsets) {
    o = static_cast<int>(r.read(4));
    r.skip(2);  // isdst, designation index
  }
  r.skip(static_cast<size_t>(counts->chars + counts->leap * static_cast<int64_t>(time_size + 4) +
                             counts->isstd + counts->isut));
  auto d = std::make_shared<Data>();
  d->name = std::move(name);
  d->fixed = false;
  d->initial_offset = offsets[0];
  for (size_t i = 0; i < times.size(); ++i) {
    if (i > 0 && times[i] <= times[i - 1]) {
      return fail("transitions out of order");
    }
    d->changes.emplace_back(times[i], offsets[indices[i]]);
  }
  std::string_view footer = r.rest();
  if (time_size == 8 && footer.size() >= 2 && footer.front() == '\n') {
    size_t end = footer.find('\n', 1);
    std::string_view tz = footer.substr(1, end == std::string_view::npos ? 0 : end - 1);
    if (!tz.empty()) {
      auto rule = parsePosixRule(tz);
      if (!rule) {
        return fail(rule.error().message());
      }
      d->rule = *rule;
    }
  }
  return TimeZone(std::move(d));
}

Result<TimeZone> TimeZone::load(std::string_view name, const std::string& dir) {
  auto unknown = [&] { return std::unexpected(bad(fmt::format("unknown time zone '{}'", name))); };
  // A zone name is "Area/Location" words: no absolute paths, no "." or ".." parts.
  if (name.empty() || name.size() > 100 || name.front() == '/' || name.back() == '/') {
    return unknown();
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' &&
        c != '+') {
      return unknown();
    }
  }
  static std::mutex mutex;
  static std::map<std::string, TimeZone, std::less<>> cache;
  std::string path = dir + "/" + std::string(name);
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(path); it != cache.end()) {
      return it->second;
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return unknown();
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::string content = bytes.str();
  if (content.size() > (1 << 20)) {
    return unknown();
  }
  auto zone = fromTzif(std::string(name), content);
  if (!zone) {
    return unknown();
  }
  std::lock_guard lock(mutex);
  cache.emplace(path, *zone);
  return *zone;
}

}  // namespace plateau::jobs
