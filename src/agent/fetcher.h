#pragma once

// The fetcher: CommandInfo.uris downloaded into a sandbox before the executor starts.
//
// The agent plans a fetch on its loop thread (resolve each URI, consult the cache) and hands the
// plan to a child process, plateau-fetcher, which does all the disk and network work; the loop
// hears of its end through SIGCHLD like any other child. Only the cache's bookkeeping (which
// entries exist, their sizes, LRU order) lives in the agent.

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace plateau::agent::fetcher {

enum class Archive { kNone, kTar, kTarGz, kTarBz2, kTarXz, kZip, kGz };

// The archive kind a file name says it holds (by extension, as Mesos decides it).
Archive archiveType(std::string_view filename);

// The name a URI's download gets in the sandbox: the last path component, query and fragment
// dropped ("http://h/a/b.tgz?x=1" -> "b.tgz").
std::string uriBasename(std::string_view uri);

// Where a URI's bytes come from: an absolute local path (plain paths, file://, relative paths
// under --frameworks_home) or an http(s) URL as given.
struct Source {
  enum class Kind { kLocal, kHttp, kHttps } kind = Kind::kLocal;
  std::string location;  // absolute path, or the URL
};
Result<Source> resolveUri(std::string_view uri, const std::string& frameworks_home);

// One URI of a plan, as the fetcher process executes it.
struct Item {
  enum class Action {
    kDirect,            // download straight into the sandbox
    kDownloadAndCache,  // download into cache_file, then copy into the sandbox
    kFromCache,         // copy cache_file into the sandbox
  };
  std::string uri;  // as the framework wrote it (for logs and errors)
  Source source;
  std::string output_file;  // sandbox-relative name
  bool executable = false;
  bool extract = true;
  Action action = Action::kDirect;
  std::string cache_file;
};

struct Plan {
  std::string sandbox;
  std::string error_file;  // the fetcher writes why it failed here
  std::chrono::nanoseconds stall_timeout = std::chrono::minutes(1);  // no byte for this long: fail
  std::vector<Item> items;
};

std::string encodePlan(const Plan& plan);
Result<Plan> decodePlan(std::string_view text);

// Runs a plan (in plateau-fetcher): logs one line per step to stderr, stops at the first
// failure and returns it; the message names the URI.
Status runPlan(const Plan& plan);

// The cache's bookkeeping: entries keyed by user + URI, each a file under the cache directory,
// evicted least recently used first once the total passes the capacity. Entries a running fetch
// uses are never evicted.
class Cache {
 public:
  struct Lookup {
    Item::Action action = Item::Action::kDirect;
    std::string file;  // empty for kDirect
  };
  Cache(std::string dir, uint64_t capacity) : dir_(std::move(dir)), capacity_(capacity) {}

  static std::string key(const std::string& user, const std::string& uri) {
    return user + '\n' + uri;
  }
  // A hit (kFromCache), a new entry to fill (kDownloadAndCache), or kDirect while another
  // fetch is still filling the same entry. Every non-direct answer holds a reference that
  // release() returns.
  Lookup acquire(const std::string& key, const std::string& basename);
  // A fetch that used `key` ended. `size` is the entry's file size when it was filled by this
  // fetch (nullopt: the entry failed to fill, or it was a hit). Returns files to delete.
  std::vector<std::string> release(const std::string& key, bool filled, uint64_t size);

  uint64_t size() const { return total_; }
  size_t entries() const { return entries_.size(); }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  bool contains(const std::string& key) const { return entries_.contains(key); }

 private:
  struct Entry {
    std::string file;
    uint64_t size = 0;
    bool complete = false;
    int refs = 0;
    std::list<std::string>::iterator lru;
  };
  std::vector<std::string> evict();

  std::string dir_;
  uint64_t capacity_;
  uint64_t total_ = 0;
  uint64_t next_id_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  std::map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // front: least recently used
};

}  // namespace plateau::agent::fetcher
