#pragma once

// Enters a container's root filesystem and executes its program there: what plateau-rootfs
// does between being started (by the command executor for a task, or by the agent for a custom
// executor) and exec. In a new mount namespace (private, so nothing propagates back to the
// host) it mounts /proc, /sys (read-only), a minimal /dev (null, zero, full, random, urandom,
// tty as device nodes with the host's numbers, pts, shm, the fd links), copies of the host's
// /etc/hosts, /etc/resolv.conf and /etc/hostname, the sandbox at `sandbox_directory` and the
// volume mounts (read-only ones remounted so); then pivot_root, the working
// directory, and exec of argv[0] looked up on the PATH of the process's environment. With a
// `user`, after pivot_root: the user is looked up in the image's /etc/passwd and /etc/group, the
// sandbox is given to it (recursively), and the process takes its supplementary groups, gid
// and uid, with USER, LOGNAME and HOME set to match. Needs CAP_SYS_ADMIN.
//
// Without a rootfs (a container with no image of its own but image volumes, as Mesos's
// volume/image isolator allows) the process stays in the host's filesystem: only its private
// mount namespace and the volume mounts are made (an absolute target must exist on the host; a
// relative one is made below the sandbox), the user is the host's, and the working directory is
// `working_dir`, else the sandbox.

#include <string>
#include <vector>

#include "common/status.h"

namespace plateau::agent::images {

// A volume mounted in the container: `source` (a host path: an image volume's rootfs) bound at
// `target`, absolute inside the rootfs or relative to the sandbox.
struct VolumeMount {
  std::string source;
  std::string target;
  bool read_only = true;
};

// The mounts as JSON text ([{"source", "target", "read_only"}]) and back, as they travel in the
// executors' environment (volume_mounts.cc). InvalidArgument when malformed.
std::string mountsToJson(const std::vector<VolumeMount>& mounts);
Result<std::vector<VolumeMount>> mountsFromJson(const std::string& text);

struct EnterOptions {
  std::string rootfs;               // the provisioned rootfs (host path); "": the host's
  std::string program;              // what is executed; "" means argv[0] looked up on PATH
  std::string sandbox;              // the sandbox (host path)
  std::string sandbox_directory;    // where the sandbox appears inside, e.g. /mnt/mesos/sandbox
  std::string working_dir;          // inside the rootfs; "" means sandbox_directory
  std::string user;                 // looked up in the image; "" keeps the caller's
  std::vector<std::string> argv;    // argv[0] is the program
  std::vector<VolumeMount> mounts;  // made after the sandbox, before pivot_root
};

// Parses plateau-rootfs's command line: --rootfs=, --sandbox=, --sandbox_directory=,
// --working_dir=, --user=, --program=, --mount=ro|rw:TARGET:SOURCE (repeated; TARGET has no ':'),
// then `--` and the program's argv. InvalidArgument names what is missing.
Result<EnterOptions> parseEnterArgs(const std::vector<std::string>& args);

// The command line parseEnterArgs reads back (program path first).
std::vector<std::string> enterArgs(const std::string& program, const EnterOptions& options);

// Sets up the container's mounts and executes the program; returns only on failure, with a
// message naming the step (the process is then in a half-made namespace and should exit).
Status enterAndExec(const EnterOptions& options);

}  // namespace plateau::agent::images
