#include "jobs/schedule.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "jobs/civil.h"

namespace plateau::jobs {

namespace {

Status bad(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }

// Reads exactly `n` digits at `pos`.
std::optional<int> digits(std::string_view s, size_t& pos, size_t n) {
  if (pos + n > s.size()) {
    return std::nullopt;
  }
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

// "+hh:mm", "+hhmm", "+hh" or "Z" from `pos` to the end.
std::optional<int> parseOffset(std::string_view s, size_t pos) {
  if (pos >= s.size()) {
    return std::nullopt;
  }
  if (s[pos] == 'Z' || s[pos] == 'z') {
    return pos + 1 == s.size() ? std::optional<int>(0) : std::nullopt;
  }
  if (s[pos] != '+' && s[pos] != '-') {
    return std::nullopt;
  }
  int sign = s[pos] == '-' ? -1 : 1;
  ++pos;
  auto hh = digits(s, pos, 2);
  if (!hh || *hh > 23) {
    return std::nullopt;
  }
  int mm = 0;
  if (pos < s.size()) {
    if (s[pos] == ':') {
      ++pos;
    }
    auto m = digits(s, pos, 2);
    if (!m || *m > 59) {
      return std::nullopt;
    }
    mm = *m;
  }
  if (pos != s.size()) {
    return std::nullopt;
  }
  return sign * (*hh * 3600 + mm * 60);
}

}  // namespace

double Period::approxSeconds() const {
  return static_cast<double>(years * 365 + months * 30 + days) * 86400.0 + seconds;
}

Result<Period> parsePeriod(std::string_view text) {
  if (text.size() < 2 || (text[0] != 'P' && text[0] != 'p')) {
    return std::unexpected(bad(fmt::format("'{}' is not an ISO 8601 duration (like PT5M)", text)));
  }
  Period p;
  bool time = false;
  bool any = false;
  size_t pos = 1;
  while (pos < text.size()) {
    char c = text[pos];
    if (c == 'T' || c == 't') {
      if (time) {
        return std::unexpected(bad(fmt::format("'{}': 'T' appears twice", text)));
      }
      time = true;
      ++pos;
      continue;
    }
    size_t start = pos;
    while (pos < text.size() && (std::isdigit(static_cast<unsigned char>(text[pos])) ||
                                 text[pos] == '.' || text[pos] == ',')) {
      ++pos;
    }
    if (start == pos || pos == text.size()) {
      return std::unexpected(bad(fmt::format("'{}' is not an ISO 8601 duration", text)));
    }
    std::string number(text.substr(start, pos - start));
    for (auto& ch : number) {
      ch = ch == ',' ? '.' : ch;
    }
    char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(text[pos++])));
    bool fractional = number.find('.') != std::string::npos;
    double value = 0;
    try {
      value = std::stod(number);
    } catch (...) {
      return std::unexpected(bad(fmt::format("'{}': bad number '{}'", text, number)));
    }
    if (fractional && !(time && unit == 'S')) {
      return std::unexpected(bad(fmt::format("'{}': only seconds may have a fraction", text)));
    }
    // A billion of any unit is past any schedule (and past what the date arithmetic holds).
    constexpr double kMaxAmount = 1e9;
    if (!(value <= kMaxAmount)) {
      return std::unexpected(bad(fmt::format("'{}': amount '{}' is too large", text, number)));
    }
    auto whole = static_cast<int64_t>(value);
    if (!time && unit == 'Y') {
      p.years += whole;
    } else if (!time && unit == 'M') {
      p.months += whole;
    } else if (!time && unit == 'W') {
      p.days += 7 * whole;
    } else if (!time && unit == 'D') {
      p.days += whole;
    } else if (time && unit == 'H') {
      p.seconds += value * 3600;
    } else if (time && unit == 'M') {
      p.seconds += value * 60;
    } else if (time && unit == 'S') {
      p.seconds += value;
    } else {
      return std::unexpected(bad(fmt::format("'{}': unit '{}' is out of place", text, unit)));
    }
    if (p.years > kMaxAmount || p.months > kMaxAmount || p.days > kMaxAmount ||
        p.seconds > kMaxAmount * 3600) {
      return std::unexpected(bad(fmt::format("'{}': the duration is too long", text)));
    }
    any = true;
  }
  if (!any) {
    return std::unexpected(bad(fmt::format("'{}' has no amount", text)));
  }
  return p;
}

Result<TimeZone> parseZone(std::string_view zone) {
  static constexpr std::string_view kUtc[] = {"",          "Z",       "UTC",           "GMT",
                                              "Etc/UTC",   "Etc/GMT", "UCT",           "Etc/UCT",
                                              "Universal", "Zulu",    "Etc/Universal", "Etc/Zulu"};
  for (auto name : kUtc) {
    if (zone == name) {
      return TimeZone();
    }
  }
  if (auto off = parseOffset(zone, 0)) {
    return TimeZone::fixed(*off);
  }
  if (zone.starts_with("UTC") || zone.starts_with("GMT")) {
    if (auto off = parseOffset(zone, 3)) {
      return TimeZone::fixed(*off);
    }
  }
  auto named = TimeZone::load(zone);
  if (!named) {
    return std::unexpected(
        bad(fmt::format("scheduleTimeZone '{}' is not a time zone (use a tz database name such as "
                        "Europe/Berlin, UTC or an offset such as +02:00)",
                        zone)));
  }
  return *named;
}

Result<double> parseTimestamp(std::string_view s, const TimeZone* zone_override,
                              TimeZone* zone_out) {
  auto fail = [&] {
    return std::unexpected(
        bad(fmt::format("'{}' is not an ISO 8601 time (like 2026-01-01T02:00:00Z)", s)));
  };
  size_t pos = 0;
  auto y = digits(s, pos, 4);
  if (!y || pos >= s.size() || s[pos++] != '-') {
    return fail();
  }
  auto mo = digits(s, pos, 2);
  if (!mo || pos >= s.size() || s[pos++] != '-') {
    return fail();
  }
  auto d = digits(s, pos, 2);
  if (!d || pos >= s.size() || (s[pos] != 'T' && s[pos] != 't')) {
    return fail();
  }
  ++pos;
  auto h = digits(s, pos, 2);
  if (!h || pos >= s.size() || s[pos++] != ':') {
    return fail();
  }
  auto mi = digits(s, pos, 2);
  if (!mi) {
    return fail();
  }
  int sec = 0;
  double frac = 0;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    auto ss = digits(s, pos, 2);
    if (!ss) {
      return fail();
    }
    sec = *ss;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      double scale = 0.1;
      size_t start = pos;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        frac += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) {
        return fail();
      }
    }
  }
  if (*mo < 1 || *mo > 12 || *d < 1 || *d > daysInMonth(*y, *mo) || *h > 23 || *mi > 59 ||
      sec > 60) {
    return fail();
  }
  int offset = 0;
  if (pos < s.size()) {
    auto off = parseOffset(s, pos);
    if (!off) {
      return fail();
    }
    offset = *off;
  }
  TimeZone zone = zone_override != nullptr ? *zone_override
                  : offset == 0            ? TimeZone()
                                           : TimeZone::fixed(offset);
  if (zone_out != nullptr) {
    *zone_out = zone;
  }
  double local =
      static_cast<double>(daysFromCivil(*y, *mo, *d)) * 86400.0 + *h * 3600 + *mi * 60 + sec + frac;
  return zone.toUtc(local);
}

namespace {

// One cron field into `out` (bit i for value i), values within [lo, hi].
template <size_t N>
Status parseField(std::string_view field, int lo, int hi, std::string_view name,
                  std::bitset<N>& out) {
  auto number = [](std::string_view t) -> std::optional<int> {
    if (t.empty() || t.size() > 3) {
      return std::nullopt;
    }
    int v = 0;
    for (char c : t) {
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        return std::nullopt;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  };
  auto fail = [&] { return bad(fmt::format("cron field {} '{}' is invalid", name, field)); };
  size_t start = 0;
  while (start <= field.size()) {
    size_t comma = field.find(',', start);
    std::string_view part = field.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    int step = 1;
    if (size_t slash = part.find('/'); slash != std::string_view::npos) {
      auto s = number(part.substr(slash + 1));
      if (!s || *s == 0) {
        return fail();
      }
      step = *s;
      part = part.substr(0, slash);
    }
    int from = lo;
    int to = hi;
    if (part != "*") {
      size_t dash = part.find('-');
      auto a = number(part.substr(0, dash));
      auto b = dash == std::string_view::npos ? a : number(part.substr(dash + 1));
      if (!a || !b || *a < lo || *b > hi || *a > *b) {
        return fail();
      }
      from = *a;
      to = dash == std::string_view::npos && step > 1 ? hi : *b;
    }
    for (int v = from; v <= to; v += step) {
      out.set(static_cast<size_t>(v));
    }
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return {};
}

}  // namespace

// The five fields a shorthand stands for ("@daily"), nullopt for another text.
std::optional<std::string_view> cronShorthand(std::string_view text) {
  static constexpr std::pair<std::string_view, std::string_view> kShorthands[] = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"}};
  for (const auto& [name, fields] : kShorthands) {
    if (text == name) {
      return fields;
    }
  }
  return std::nullopt;
}

// `field` with three-letter names (any case) replaced by their numbers: names[i] is `first + i`.
template <size_t N>
std::string withNumbers(std::string_view field, const std::array<std::string_view, N>& names,
                        int first) {
  std::string out;
  for (size_t i = 0; i < field.size();) {
    if (i + 3 <= field.size() && std::isalpha(static_cast<unsigned char>(field[i]))) {
      std::string word(field.substr(i, 3));
      for (auto& c : word) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      auto it = std::find(names.begin(), names.end(), word);
      if (it != names.end()) {
        out += std::to_string(first + static_cast<int>(it - names.begin()));
        i += 3;
        continue;
      }
    }
    out += field[i++];
  }
  return out;
}

Result<Cron> parseCron(std::string_view text) {
  if (text.starts_with('@')) {
    auto fields = cronShorthand(text);
    if (!fields) {
      return std::unexpected(bad(fmt::format(
          "cron '{}' is not a shorthand (@yearly, @annually, @monthly, @weekly, @daily, "
          "@midnight, @hourly)",
          text)));
    }
    text = *fields;
  }
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && text[pos] == ' ') {
      ++pos;
    }
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    if (end > pos) {
      fields.push_back(text.substr(pos, end - pos));
    }
    pos = end;
  }
  if (fields.size() != 5) {
    return std::unexpected(
        bad(fmt::format("cron '{}' needs five fields: minute hour day month weekday", text)));
  }
  Cron c;
  std::bitset<8> weekdays;
  static constexpr std::array<std::string_view, 12> kMonths = {
      "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  static constexpr std::array<std::string_view, 7> kWeekdays = {"SUN", "MON", "TUE", "WED",
                                                                "THU", "FRI", "SAT"};
  std::string months = withNumbers(fields[3], kMonths, 1);
  std::string days_of_week = withNumbers(fields[4], kWeekdays, 0);
  for (Status s : {parseField(fields[0], 0, 59, "minute", c.minutes),
                   parseField(fields[1], 0, 23, "hour", c.hours),
                   parseField(fields[2], 1, 31, "day-of-month", c.days),
                   parseField(months, 1, 12, "month", c.months),
                   parseField(days_of_week, 0, 7, "day-of-week", weekdays)}) {
    if (!s.isOk()) {
      return std::unexpected(s);
    }
  }
  for (size_t d = 0; d < 7; ++d) {
    c.weekdays[d] = weekdays[d] || (d == 0 && weekdays[7]);
  }
  c.any_day = fields[2].starts_with('*');
  c.any_weekday = fields[4].starts_with('*');
  return c;
}

namespace {

double cronNext(const Cron& c, double t, const TimeZone& zone) {
  // Minute by minute from the next whole minute, skipping whole months, days and hours that
  // cannot match; at most about five years ahead (Feb 29 on a Monday and the like). Local
  // minutes skipped by a daylight-saving change run just after it; repeated ones run once.
  auto local = static_cast<int64_t>(std::floor((t + zone.offsetAt(t)) / 60.0)) * 60 + 60;
  for (int guard = 0; guard < 5 * 366 * 24 * 60; ++guard) {
    int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    int64_t in_day = local - days * 86400;
    Civil d = civilFromDays(days);
    if (!c.months[static_cast<size_t>(d.m)]) {
      int64_t y = d.m == 12 ? d.y + 1 : d.y;
      int64_t m = d.m == 12 ? 1 : d.m + 1;
      local = daysFromCivil(y, m, 1) * 86400;
      continue;
    }
    auto weekday = static_cast<size_t>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
    bool dom = c.days[static_cast<size_t>(d.d)];
    bool dow = c.weekdays[weekday];
    bool day_ok = c.any_day && c.any_weekday ? true
                  : c.any_day                ? dow
                  : c.any_weekday            ? dom
                                             : (dom || dow);
    if (!day_ok) {
      local = (days + 1) * 86400;
      continue;
    }
    auto hour = static_cast<size_t>(in_day / 3600);
    if (!c.hours[hour]) {
      local = days * 86400 + static_cast<int64_t>(hour + 1) * 3600;
      continue;
    }
    if (!c.minutes[static_cast<size_t>(in_day / 60 % 60)]) {
      local += 60;
      continue;
    }
    double utc = zone.toUtc(static_cast<double>(local));
    if (utc <= t) {
      local += 60;  // the second pass of a repeated hour
      continue;
    }
    return utc;
  }
  return 0;
}

}  // namespace

double nextAfter(const Schedule& s, double t) {
  if (s.cron) {
    return cronNext(*s.cron, t, s.zone);
  }
  double next = addPeriod(t, s.period, s.zone);
  if (s.period.seconds == 0 && !s.zone.isFixed()) {
    // Whole days, months or years: at the start's local time of day, also after a run that a
    // daylight-saving change moved (02:00 on a spring-forward night runs at 03:00, the next
    // day's at 02:00 again).
    auto localOf = [&](double u) { return u + s.zone.offsetAt(u); };
    double start_local = localOf(s.start);
    double time_of_day = start_local - std::floor(start_local / 86400) * 86400;
    double next_local = localOf(next);
    next = s.zone.toUtc(std::floor(next_local / 86400) * 86400 + time_of_day);
  }
  return next;
}

Result<Schedule> parseSchedule(std::string_view text, double now, std::string_view zone) {
  if (text.starts_with("cron:")) {
    auto tz = parseZone(zone);
    if (!tz) {
      return std::unexpected(tz.error());
    }
    auto cron = parseCron(text.substr(5));
    if (!cron) {
      return std::unexpected(cron.error());
    }
    Schedule s;
    s.cron = *cron;
    s.text = std::string(text);
    s.zone = *tz;
    s.start = cronNext(*cron, now - 1e-3, s.zone);
    if (s.start <= 0) {
      return std::unexpected(bad(fmt::format("cron '{}' never matches", text)));
    }
    return s;
  }
  size_t first = text.find('/');
  size_t second = first == std::string_view::npos ? first : text.find('/', first + 1);
  if (second == std::string_view::npos || text.find('/', second + 1) != std::string_view::npos) {
    return std::unexpected(bad(fmt::format(
        "schedule '{}' is not an ISO 8601 repeating interval R[n]/<start>/<period>", text)));
  }
  std::string_view repeat = text.substr(0, first);
  std::string_view start = text.substr(first + 1, second - first - 1);
  std::string_view period = text.substr(second + 1);
  Schedule s;
  if (repeat.empty() || (repeat[0] != 'R' && repeat[0] != 'r')) {
    return std::unexpected(bad(fmt::format("schedule '{}' must start with R or Rn", text)));
  }
  if (repeat.size() > 1) {
    int64_t n = 0;
    for (char c : repeat.substr(1)) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || n > 1'000'000'000'000) {
        return std::unexpected(bad(fmt::format("schedule '{}': bad repeat count", text)));
      }
      n = n * 10 + (c - '0');
    }
    s.repeats = n;
  }
  auto tz = parseZone(zone);
  if (!tz) {
    return std::unexpected(tz.error());
  }
  if (start.empty()) {
    s.start = now;
    s.zone = *tz;
  } else {
    auto t = parseTimestamp(start, zone.empty() ? nullptr : &*tz, &s.zone);
    if (!t) {
      return std::unexpected(bad(fmt::format("schedule '{}': {}", text, t.error().message())));
    }
    s.start = *t;
  }
  auto p = parsePeriod(period);
  if (!p) {
    return std::unexpected(bad(fmt::format("schedule '{}': {}", text, p.error().message())));
  }
  if (p->isZero()) {
    return std::unexpected(bad(fmt::format("schedule '{}': the period must be positive", text)));
  }
  s.period = *p;
  s.period_text = std::string(period);
  s.text = std::string(text);
  return s;
}

double addPeriod(double t, const Period& p, const TimeZone& zone) {
  if (p.years != 0 || p.months != 0 || p.days != 0) {
    double local = t + zone.offsetAt(t);
    double day_floor = std::floor(local / 86400.0);
    double in_day = local - day_floor * 86400.0;
    Civil c = civilFromDays(static_cast<int64_t>(day_floor));
    int64_t months = c.y * 12 + (c.m - 1) + p.years * 12 + p.months;
    int64_t y = months >= 0 ? months / 12 : (months - 11) / 12;
    int64_t m = months - y * 12 + 1;
    int64_t d = std::min(c.d, daysInMonth(y, m));
    local = static_cast<double>(daysFromCivil(y, m, d) + p.days) * 86400.0 + in_day;
    t = zone.toUtc(local);
  }
  return t + p.seconds;
}

std::string formatTimestamp(double t, const TimeZone& zone) {
  int offset = zone.offsetAt(t);
  auto ms_total = static_cast<int64_t>(std::llround((t + offset) * 1000.0));
  int64_t days = ms_total >= 0 ? ms_total / 86400000 : (ms_total - 86399999) / 86400000;
  int64_t ms = ms_total - days * 86400000;
  Civil c = civilFromDays(days);
  std::string designator = "Z";
  if (offset != 0) {
    int a = std::abs(offset);
    designator = fmt::format("{}{:02}:{:02}", offset < 0 ? '-' : '+', a / 3600, a / 60 % 60);
  }
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{}", c.y, c.m, c.d, ms / 3600000,
                     ms / 60000 % 60, ms / 1000 % 60, ms % 1000, designator);
}

std::string formatSchedule(const Schedule& s, double next, std::optional<int64_t> left) {
  if (s.cron) {
    return s.text;
  }
  return fmt::format("R{}/{}/{}", left ? std::to_string(*left) : "", formatTimestamp(next, s.zone),
                     s.period_text);
}

}  // namespace plateau::jobs
