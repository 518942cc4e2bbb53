#pragma once

// Unpacks one image layer (a tar archive, plain, gzip or zstd compressed) into a directory, in
// the form the overlay filesystem reads: an OCI whiteout `.wh.NAME` becomes a 0:0 character
// device NAME, and an opaque marker `.wh..wh..opq` becomes the `trusted.overlay.opaque=y`
// extended attribute on its directory. The copy backend reads the same form.
//
// Nothing is written outside the destination: an entry whose name is absolute or climbs with
// `..`, or whose path passes through a symbolic link (absolute or not) made by an earlier entry,
// fails the whole layer with InvalidArgument naming the entry. Symbolic links themselves are
// kept as they are (they are resolved inside the container's root at run time).

#include <string>
#include <string_view>

#include "common/status.h"

namespace plateau::agent::images {

// The entry name made relative and normal ("./a//b/" -> "a/b", "." -> ""); InvalidArgument
// when it is absolute or has a ".." component.
Result<std::string> checkEntryPath(const std::string& name);

enum class WhiteoutKind { kNone, kFile, kOpaque };

struct Whiteout {
  WhiteoutKind kind = WhiteoutKind::kNone;
  std::string target;  // kFile: the path hidden; kOpaque: the directory made opaque
};

// What a normal (checked) entry path means as a whiteout.
Whiteout classifyWhiteout(const std::string& path);

// Unpacks `tar_path` into the existing directory `dest`. On failure `dest` holds a partial
// layer: the caller unpacks into a scratch directory and discards it.
Status unpackLayer(const std::string& tar_path, const std::string& dest);

// The sha256 of a file's bytes, "sha256:<hex>"; Unavailable when it cannot be read.
Result<std::string> sha256File(const std::string& path);
// The sha256 of `bytes`, "sha256:<hex>".
std::string sha256Bytes(std::string_view bytes);

}  // namespace plateau::agent::images
