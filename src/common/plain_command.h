#pragma once

// Running a shell command (`CommandInfo.shell`, `sh -c value`) without the shell, where the
// shell would only have split the value into words and executed the first one.
//
// Guarantee: `directSpec` returns a spec only when /bin/sh is dash and, given the same
// environment and working directory, `dash -c value` would have executed exactly that program
// with exactly that argv and environment (dash adds PWD; it drops variables whose names are not
// shell names, so such an environment is refused). Anything it is not sure of is left to the
// shell: shell syntax of any kind, a first word that is a reserved word or a builtin (other
// than a lone `true` or `false`), a program not found as an executable regular file on an
// absolute PATH, an environment without PATH. A caller whose direct launch fails (the exec
// itself: ENOEXEC for a script without `#!`, a race) launches the shell spec instead, so every
// error (127 not found, 126 permission denied, the shell's message on stderr) stays the
// shell's own.
//
// Pure parts (`plainWords`, `shellEnvironment`, `pathCandidates`) touch nothing; `directSpec`
// looks at the file system.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/process.h"

namespace plateau {

// The words of `command` when it is a plain word list: words of [A-Za-z0-9] and `-_./,:+%@`,
// separated by spaces or tabs, at least one word, the first neither a shell reserved word nor a
// builtin (a lone `true` or `false` is allowed: the program does what the builtin does).
// nullopt for everything else (quotes, `$`, globs, `~`, `#`, `=`, redirections, operators,
// newlines, backslashes, non-ASCII bytes, `true --help`, ...).
std::optional<std::vector<std::string>> plainWords(std::string_view command);

// Whether dash passes `env` to a program unchanged (but for PWD): every entry is NAME=value
// with NAME a shell name ([A-Za-z_][A-Za-z0-9_]*), no name twice, none of IFS, OPTIND and
// PPID (which dash resets).
bool shellEnvironment(const std::vector<std::string>& env);

// Where the shell looks for `word` on `path` (the PATH value), in order: `word` itself when it
// holds a `/`; else dir/word for each entry. Empty when an entry is empty or relative (the
// shell would look in its working directory: left to it), `path` is empty, or it holds a `%`
// (dash's `dir%builtin` entries).
std::vector<std::string> pathCandidates(const std::string& word, const std::string& path);

// The value of `name` in `env` ("NAME=value" entries), nullopt when absent.
std::optional<std::string> findVariable(const std::vector<std::string>& env, std::string_view name);

// The spec that runs `shell` (as made by commandLaunchSpec for `command`, with env and
// working_dir filled in) without the shell, or nullopt when it must stay the shell's (above).
std::optional<LaunchSpec> directSpec(const LaunchSpec& shell, const std::string& command);

// Whether /bin/sh is dash (the shell whose behaviour directSpec reproduces). Looked up once.
bool shellIsDash();

}  // namespace plateau
