#pragma once

// Mesos's volume gid manager, without I/O: which gid of --volume_gid_range each volume path
// holds. A volume used by a task running as a non-root user is given a gid of its own (the
// agent then makes the volume owned by that gid, with the setgid bit, and gives the task the gid
// as a supplementary group), kept for as long as the volume exists. The agent checkpoints
// entries() after each change and restore()s them at start, so a gid survives an agent restart.
//
// Invariants: no two paths hold the same gid; a gid is free or held, never both; free gids all
// lie in the range given at construction (a restored gid outside it is held, and is not freed
// into the range when released).

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "common/resources.h"
#include "common/status.h"

namespace plateau::agent {

// Parses a --volume_gid_range value ("[10000-20000]", "[10000-10010,20000-20010]"): Mesos's
// ranges text. InvalidArgument (the message does not name the flag) for anything else, an empty
// range, or gids beyond 32 bits.
Result<Ranges> parseVolumeGidRange(const std::string& text);

class VolumeGidAllocator {
 public:
  enum class Kind { kPersistent, kSandboxPath };  // Mesos's VolumeGidInfo.Type
  struct Entry {
    std::string path;
    Kind kind = Kind::kPersistent;
    gid_t gid = 0;
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  struct Allocation {
    gid_t gid = 0;
    bool fresh = false;  // true: newly taken (the volume's ownership must be set)
  };

  explicit VolumeGidAllocator(Ranges total);

  // The gid `path` holds, else the lowest free gid, now held by `path`. FailedPrecondition,
  // naming the path, when no gid is free.
  Result<Allocation> allocate(const std::string& path, Kind kind);

  // Frees the gids of `path` and of every volume below it (a container's sandbox frees its
  // SANDBOX_PATH volumes); returns the entries freed.
  std::vector<Entry> release(const std::string& path);

  // Takes entries back from a checkpoint (at start, before any allocate). A path given twice,
  // or a gid held already, is skipped.
  void restore(const std::vector<Entry>& entries);

  std::vector<Entry> entries() const;
  uint64_t totalGids() const { return total_.size(); }
  uint64_t freeGids() const { return free_.size(); }

  // The checkpoint's text (JSON: {"volume_gids": [{"path", "type", "gid"}]}) and back;
  // InvalidArgument when malformed.
  static std::string toJson(const std::vector<Entry>& entries);
  static Result<std::vector<Entry>> fromJson(const std::string& text);

 private:
  const Ranges total_;
  Ranges free_;
  std::map<std::string, Entry> held_;  // by path
};

}  // namespace plateau::agent
