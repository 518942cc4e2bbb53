#include "agent/fetcher.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "common/json.h"
#include "common/process.h"
#include "http/client.h"

extern char** environ;

namespace plateau::agent::fetcher {

namespace fs = std::filesystem;

namespace {

Status fail(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }

bool endsWith(std::string_view s, std::string_view suffix) { return s.ends_with(suffix); }

}  // namespace

Archive archiveType(std::string_view name) {
  if (endsWith(name, ".tar")) return Archive::kTar;
  if (endsWith(name, ".tar.gz") || endsWith(name, ".tgz")) return Archive::kTarGz;
  if (endsWith(name, ".tar.bz2") || endsWith(name, ".tbz2")) return Archive::kTarBz2;
  if (endsWith(name, ".tar.xz") || endsWith(name, ".txz")) return Archive::kTarXz;
  if (endsWith(name, ".zip")) return Archive::kZip;
  if (endsWith(name, ".gz")) return Archive::kGz;
  return Archive::kNone;
}

std::string uriBasename(std::string_view uri) {
  if (auto cut = uri.find_first_of("?#");
      cut != std::string_view::npos && uri.find("://") != std::string_view::npos) {
    uri = uri.substr(0, cut);
  }
  while (uri.size() > 1 && uri.back() == '/') {
    uri.remove_suffix(1);
  }
  auto slash = uri.rfind('/');
  return std::string(slash == std::string_view::npos ? uri : uri.substr(slash + 1));
}

Result<Source> resolveUri(std::string_view uri, const std::string& frameworks_home) {
  if (uri.empty()) {
    return std::unexpected(fail("URI is empty"));
  }
  if (uri.starts_with("http://")) {
    return Source{Source::Kind::kHttp, std::string(uri)};
  }
  if (uri.starts_with("https://")) {
    return Source{Source::Kind::kHttps, std::string(uri)};
  }
  if (uri.starts_with("file://")) {
    std::string_view rest = uri.substr(7);
    if (rest.starts_with("localhost/")) {
      rest.remove_prefix(9);
    }
    if (!rest.starts_with("/")) {
      return std::unexpected(fail(fmt::format("'{}' is not an absolute file:// URI", uri)));
    }
    return Source{Source::Kind::kLocal, std::string(rest)};
  }
  if (auto scheme = uri.find("://"); scheme != std::string_view::npos) {
    return std::unexpected(fail(fmt::format(
        "Unsupported URI scheme '{}' (file, http and https are)", uri.substr(0, scheme))));
  }
  if (uri.starts_with("/")) {
    return Source{Source::Kind::kLocal, std::string(uri)};
  }
  if (frameworks_home.empty()) {
    return std::unexpected(fail(fmt::format(
        "Relative URI '{}' needs the agent flag '--frameworks_home', which is not set", uri)));
  }
  return Source{Source::Kind::kLocal, (fs::path(frameworks_home) / uri).string()};
}

// ---- plan encoding ----

std::string encodePlan(const Plan& plan) {
  std::string out;
  json::Writer w(&out);
  w.beginObject();
  w.key("sandbox");
  w.value(plan.sandbox);
  w.key("error_file");
  w.value(plan.error_file);
  w.key("stall_timeout_ns");
  w.value(static_cast<int64_t>(plan.stall_timeout.count()));
  w.key("items");
  w.beginArray();
  for (const auto& item : plan.items) {
    w.beginObject();
    w.key("uri");
    w.value(item.uri);
    w.key("kind");
    w.value(static_cast<int64_t>(item.source.kind));
    w.key("location");
    w.value(item.source.location);
    w.key("output_file");
    w.value(item.output_file);
    w.key("executable");
    w.value(item.executable);
    w.key("extract");
    w.value(item.extract);
    w.key("action");
    w.value(static_cast<int64_t>(item.action));
    w.key("cache_file");
    w.value(item.cache_file);
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return out;
}

Result<Plan> decodePlan(std::string_view text) {
  auto parsed = json::parse(text);
  if (!parsed) {
    return std::unexpected(parsed.error());
  }
  Plan plan;
  plan.sandbox = (*parsed)["sandbox"].asString();
  plan.error_file = (*parsed)["error_file"].asString();
  if (auto stall = (*parsed)["stall_timeout_ns"].toInt64(); stall && *stall > 0) {
    plan.stall_timeout = std::chrono::nanoseconds(*stall);
  }
  for (const auto& v : (*parsed)["items"].asArray()) {
    Item item;
    item.uri = v["uri"].asString();
    item.source.kind = static_cast<Source::Kind>(v["kind"].toInt64().value_or(0));
    item.source.location = v["location"].asString();
    item.output_file = v["output_file"].asString();
    item.executable = v["executable"].asBool();
    item.extract = v["extract"].asBool();
    item.action = static_cast<Item::Action>(v["action"].toInt64().value_or(0));
    item.cache_file = v["cache_file"].asString();
    plan.items.push_back(std::move(item));
  }
  if (plan.sandbox.empty()) {
    return std::unexpected(fail("fetch plan names no sandbox"));
  }
  return plan;
}

// ---- the fetcher process's work ----

namespace {

// Runs argv (looked up on PATH), stdout to `stdout_path` when given; waits for it.
Status runCommand(const std::vector<std::string>& argv, const std::string& stdout_path = {}) {
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (!stdout_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
  } else {
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  }
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  std::string shown = fmt::format("'{}'", fmt::join(argv, " "));
  if (rc != 0) {
    return fail(fmt::format("cannot run {}: {}", shown, std::strerror(rc)));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    return fail(fmt::format("{} {}", shown, describeWaitStatus(status)));
  }
  return {};
}

struct Url {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";
};

Result<Url> parseHttpUrl(std::string_view url) {
  url.remove_prefix(7);  // "http://"
  Url out;
  auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) {
    out.target = std::string(url.substr(slash));
  }
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);  // credentials are not supported: dropped
  }
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    unsigned port = 0;
    auto digits = authority.substr(colon + 1);
    if (digits.empty() || digits.size() > 5 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos ||
        (port = std::stoul(std::string(digits))) == 0 || port > 65535) {
      return std::unexpected(fail(fmt::format("invalid port in '{}'", authority)));
    }
    out.port = static_cast<uint16_t>(port);
  } else {
    out.host = std::string(authority);
  }
  if (out.host.empty()) {
    return std::unexpected(fail("no host in the URL"));
  }
  if (out.host == "localhost") {
    out.host = "127.0.0.1";
  }
  return out;
}

// Streams the body to `dest`; gives up when no byte arrives for `stall` (as Mesos's
// --fetcher_stall_timeout), so big files need no memory and slow ones no deadline.
Status downloadHttp(std::string url, const fs::path& dest, std::chrono::nanoseconds stall) {
  for (int redirects = 0; redirects < 5; redirects++) {
    auto parsed = parseHttpUrl(url);
    if (!parsed) {
      return parsed.error();
    }
    auto stream = http::BlockingStream::open(
        {parsed->host, parsed->port, http::Transport::kPlain},
        {.method = "GET", .path = parsed->target, .headers = {}, .body = {}}, stall);
    if (!stream) {
      return fail(stream.error().message());
    }
    const http::Response& head = (*stream)->head();
    int code = head.status;
    if (code >= 300 && code < 400 && !head.header("location").empty()) {
      std::string location = head.header("location");
      if (location.starts_with("/")) {
        location = fmt::format("http://{}:{}{}", parsed->host, parsed->port, location);
      }
      if (!location.starts_with("http://")) {
        return fail(fmt::format("redirect to '{}' is not followed", location));
      }
      url = location;
      continue;
    }
    if (code != 200) {
      return fail(fmt::format("HTTP {} {}", code, http::reasonPhrase(code)));
    }
    std::ofstream out(dest, std::ios::binary | std::ios::trunc);
    uint64_t received = 0;
    while (true) {
      auto data = (*stream)->read(stall);
      if (!data) {
        if (!(*stream)->ended()) {
          return fail(fmt::format("download stalled: no data for {}s after {} bytes",
                                  std::chrono::duration<double>(stall).count(), received));
        }
        if (data.error().message().find("end of stream") == std::string::npos) {
          return fail(fmt::format("download broke off after {} bytes: {}", received,
                                  data.error().message()));
        }
        break;
      }
      received += data->size();
      out.write(data->data(), static_cast<std::streamsize>(data->size()));
    }
    out.close();
    if (!out) {
      return fail(fmt::format("cannot write '{}'", dest.string()));
    }
    return {};
  }
  return fail("too many redirects");
}

Status download(const Source& source, const fs::path& dest, std::chrono::nanoseconds stall) {
  switch (source.kind) {
    case Source::Kind::kLocal: {
      std::error_code ec;
      if (!fs::is_regular_file(source.location, ec)) {
        return fail(fmt::format("'{}' is not a readable regular file{}", source.location,
                                ec ? ": " + ec.message() : ""));
      }
      fs::copy_file(source.location, dest, fs::copy_options::overwrite_existing, ec);
      if (ec) {
        return fail(fmt::format("cannot copy '{}': {}", source.location, ec.message()));
      }
      return {};
    }
    case Source::Kind::kHttp:
      return downloadHttp(source.location, dest, stall);
    case Source::Kind::kHttps: {
      // https through curl: no TLS stack is linked into Plateau. Its complaint becomes ours.
      std::string errors = dest.string() + ".curl-errors";
      Status s =
          runCommand({"curl", "--silent", "--show-error", "--fail", "--location", "--max-redirs",
                      "5", "--speed-limit", "1", "--speed-time",
                      std::to_string(std::max<int64_t>(
                          1, std::chrono::duration_cast<std::chrono::seconds>(stall).count())),
                      "--output", dest.string(), "--stderr", errors, source.location});
      std::ifstream in(errors);
      std::string first;
      std::getline(in, first);
      std::error_code ec;
      fs::remove(errors, ec);
      if (!s.isOk()) {
        return fail(first.empty() ? s.message() : first);
      }
      return {};
    }
  }
  return fail("unknown source kind");
}

Status extract(const fs::path& file, const fs::path& into) {
  std::string f = file.string();
  std::string d = into.string();
  switch (archiveType(file.filename().string())) {
    case Archive::kTar:
    case Archive::kTarGz:
    case Archive::kTarBz2:
    case Archive::kTarXz:
      return runCommand({"tar", "-C", d, "-xf", f});
    case Archive::kZip:
      return runCommand({"unzip", "-q", "-o", "-d", d, f});
    case Archive::kGz: {
      std::string out = f.substr(0, f.size() - 3);
      return runCommand({"gzip", "-dc", f}, out);
    }
    case Archive::kNone:
      return {};
  }
  return {};
}

void logLine(const std::string& line) { fmt::print(stderr, "plateau-fetcher: {}\n", line); }

Status runItem(const Plan& plan, const Item& item) {
  if (item.output_file.empty() || item.output_file.starts_with("/") ||
      fs::path(item.output_file).lexically_normal().string().starts_with("..")) {
    return fail(fmt::format("output file '{}' must be a relative path inside the sandbox",
                            item.output_file));
  }
  fs::path target = fs::path(plan.sandbox) / item.output_file;
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) {
    return fail(fmt::format("cannot create '{}': {}", target.parent_path().string(), ec.message()));
  }
  switch (item.action) {
    case Item::Action::kDirect:
      logLine(fmt::format("fetching '{}' into '{}'", item.uri, target.string()));
      if (Status s = download(item.source, target, plan.stall_timeout); !s.isOk()) {
        return s;
      }
      break;
    case Item::Action::kDownloadAndCache: {
      logLine(fmt::format("fetching '{}' into the cache as '{}'", item.uri, item.cache_file));
      fs::path cache = item.cache_file;
      fs::create_directories(cache.parent_path(), ec);
      fs::path part = cache.string() + ".part";
      if (Status s = download(item.source, part, plan.stall_timeout); !s.isOk()) {
        fs::remove(part, ec);
        return s;
      }
      fs::rename(part, cache, ec);
      if (ec) {
        return fail(fmt::format("cannot fill cache file '{}': {}", cache.string(), ec.message()));
      }
      [[fallthrough]];
    }
    case Item::Action::kFromCache:
      if (item.action == Item::Action::kFromCache) {
        logLine(fmt::format("fetching '{}' from the cache ('{}')", item.uri, item.cache_file));
      }
      fs::copy_file(item.cache_file, target, fs::copy_options::overwrite_existing, ec);
      if (ec) {
        return fail(fmt::format("cannot copy cache file '{}': {}", item.cache_file, ec.message()));
      }
      break;
  }
  if (item.executable) {
    fs::permissions(target, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add, ec);
    if (ec) {
      return fail(fmt::format("cannot make '{}' executable: {}", target.string(), ec.message()));
    }
  } else if (item.extract && archiveType(target.filename().string()) != Archive::kNone) {
    logLine(
        fmt::format("extracting '{}' into '{}'", target.string(), target.parent_path().string()));
    if (Status s = extract(target, target.parent_path()); !s.isOk()) {
      return fail(fmt::format("cannot extract: {}", s.message()));
    }
  }
  logLine(fmt::format("fetched '{}' to '{}'", item.uri, target.string()));
  return {};
}

}  // namespace

Status runPlan(const Plan& plan) {
  for (const auto& item : plan.items) {
    if (Status s = runItem(plan, item); !s.isOk()) {
      std::string message = fmt::format("Failed to fetch '{}': {}", item.uri, s.message());
      logLine(message);
      return fail(message);
    }
  }
  return {};
}

// ---- the agent's cache bookkeeping ----

Cache::Lookup Cache::acquire(const std::string& key, const std::string& basename) {
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    Entry& e = it->second;
    if (!e.complete) {
      return {Item::Action::kDirect, {}};
    }
    e.refs++;
    lru_.splice(lru_.end(), lru_, e.lru);
    hits_++;
    return {Item::Action::kFromCache, e.file};
  }
  misses_++;
  Entry e;
  e.file = (fs::path(dir_) /
            fmt::format("plateau-cache-{}-{}", next_id_++, basename.empty() ? "file" : basename))
               .string();
  e.refs = 1;
  e.lru = lru_.insert(lru_.end(), key);
  std::string file = e.file;
  entries_.emplace(key, std::move(e));
  return {Item::Action::kDownloadAndCache, file};
}

std::vector<std::string> Cache::release(const std::string& key, bool filled, uint64_t size) {
  std::vector<std::string> doomed;
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    return doomed;
  }
  Entry& e = it->second;
  e.refs = std::max(0, e.refs - 1);
  if (!e.complete) {
    if (!filled) {
      doomed.push_back(e.file);
      lru_.erase(e.lru);
      entries_.erase(it);
      return doomed;
    }
    e.complete = true;
    e.size = size;
    total_ += size;
  }
  auto evicted = evict();
  doomed.insert(doomed.end(), evicted.begin(), evicted.end());
  return doomed;
}

std::vector<std::string> Cache::evict() {
  std::vector<std::string> doomed;
  for (auto it = lru_.begin(); it != lru_.end() && total_ > capacity_;) {
    Entry& e = entries_.at(*it);
    if (e.refs > 0 || !e.complete) {
      ++it;
      continue;
    }
    doomed.push_back(e.file);
    total_ -= e.size;
    entries_.erase(*it);
    it = lru_.erase(it);
  }
  return doomed;
}

}  // namespace plateau::agent::fetcher
