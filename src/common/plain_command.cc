#include "common/plain_command.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <set>

namespace plateau {

namespace {

// Reserved words of POSIX sh and of bash (where /bin/sh may be bash elsewhere), and the
// builtins of dash and bash: a first word among these is the shell's to run.
constexpr std::string_view kShellWords[] = {
    "!",       "{",         "}",        "[[",       "]]",      "case",     "coproc",   "do",
    "done",    "elif",      "else",     "esac",     "fi",      "for",      "function", "if",
    "in",      "select",    "then",     "time",     "until",   "while",    ".",        ":",
    "[",       "alias",     "bg",       "bind",     "break",   "builtin",  "caller",   "cd",
    "chdir",   "command",   "compgen",  "complete", "compopt", "continue", "declare",  "dirs",
    "disown",  "echo",      "enable",   "eval",     "exec",    "exit",     "export",   "false",
    "fc",      "fg",        "getopts",  "hash",     "help",    "history",  "jobs",     "kill",
    "let",     "local",     "logout",   "mapfile",  "popd",    "printf",   "pushd",    "pwd",
    "read",    "readarray", "readonly", "return",   "set",     "shift",    "shopt",    "source",
    "suspend", "test",      "times",    "trap",     "true",    "type",     "typeset",  "ulimit",
    "umask",   "unalias",   "unset",    "wait"};

bool wordChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  switch (c) {
    case '-':
    case '_':
    case '.':
    case '/':
    case ',':
    case ':':
    case '+':
    case '%':
    case '@':
      return true;
    default:
      return false;
  }
}

bool shellWord(std::string_view word) {
  return std::find(std::begin(kShellWords), std::end(kShellWords), word) != std::end(kShellWords);
}

bool sameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// The PWD dash gives its children: the inherited one when it is absolute and names the working
// directory, else the physical path.
std::optional<std::string> shellPwd(const std::optional<std::string>& inherited,
                                    const std::string& working_dir) {
  struct stat dir {};
  if (::stat(working_dir.c_str(), &dir) != 0) {
    return std::nullopt;
  }
  struct stat pwd {};
  if (inherited && inherited->starts_with('/') && ::stat(inherited->c_str(), &pwd) == 0 &&
      sameFile(pwd, dir)) {
    return inherited;
  }
  char resolved[PATH_MAX];
  if (::realpath(working_dir.c_str(), resolved) == nullptr) {
    return std::nullopt;
  }
  return std::string(resolved);
}

bool executableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::optional<std::vector<std::string>> plainWords(std::string_view command) {
  std::vector<std::string> words;
  std::string word;
  for (char c : command) {
    if (c == ' ' || c == '\t') {
      if (!word.empty()) {
        words.push_back(std::move(word));
        word.clear();
      }
    } else if (wordChar(c)) {
      word.push_back(c);
    } else {
      return std::nullopt;
    }
  }
  if (!word.empty()) {
    words.push_back(std::move(word));
  }
  if (words.empty()) {
    return std::nullopt;
  }
  if (shellWord(words[0])) {
    // The programs do what dash's `true` and `false` do when given no arguments.
    if (words.size() == 1 && (words[0] == "true" || words[0] == "false")) {
      return words;
    }
    return std::nullopt;
  }
  return words;
}

bool shellEnvironment(const std::vector<std::string>& env) {
  std::set<std::string_view> names;
  for (const auto& entry : env) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      return false;
    }
    std::string_view name(entry.data(), eq);
    if (name[0] >= '0' && name[0] <= '9') {
      return false;
    }
    for (char c : name) {
      bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      if (!ok) {
        return false;
      }
    }
    // dash gives these its own values (IFS the default, OPTIND 1, PPID its parent's pid).
    if (name == "IFS" || name == "OPTIND" || name == "PPID") {
      return false;
    }
    if (!names.insert(name).second) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> pathCandidates(const std::string& word, const std::string& path) {
  if (word.find('/') != std::string::npos) {
    return {word};
  }
  std::vector<std::string> out;
  // dash reads `dir%builtin`-style entries as its own.
  if (path.empty() || path.find('%') != std::string::npos) {
    return out;
  }
  size_t start = 0;
  while (true) {
    size_t colon = path.find(':', start);
    std::string dir =
        path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.starts_with('/')) {
      return {};
    }
    out.push_back(dir.ends_with('/') ? dir + word : dir + "/" + word);
    if (colon == std::string::npos) {
      break;
    }
    start = colon + 1;
  }
  return out;
}

std::optional<std::string> findVariable(const std::vector<std::string>& env,
                                        std::string_view name) {
  for (const auto& entry : env) {
    if (entry.size() > name.size() && entry[name.size()] == '=' && entry.starts_with(name)) {
      return entry.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

std::optional<LaunchSpec> directSpec(const LaunchSpec& shell, const std::string& command) {
  if (shell.path != "/bin/sh" || !shell.working_dir.starts_with('/') || !shellIsDash()) {
    return std::nullopt;
  }
  auto words = plainWords(command);
  auto path = findVariable(shell.env, "PATH");
  if (!words || !path || !shellEnvironment(shell.env)) {
    return std::nullopt;
  }
  std::optional<std::string> program;
  for (const auto& candidate : pathCandidates((*words)[0], *path)) {
    // A relative path (`./run`, `bin/run`) is the working directory's, as the task sees it.
    std::string seen = candidate.starts_with('/') ? candidate : shell.working_dir + "/" + candidate;
    if (executableFile(seen)) {
      program = candidate;
      break;
    }
  }
  auto pwd = shellPwd(findVariable(shell.env, "PWD"), shell.working_dir);
  if (!program || !pwd) {
    return std::nullopt;
  }
  LaunchSpec direct = shell;
  direct.path = *program;
  direct.argv = std::move(*words);
  std::erase_if(direct.env, [](const std::string& e) { return e.starts_with("PWD="); });
  direct.env.push_back("PWD=" + *pwd);
  return direct;
}

bool shellIsDash() {
  static const bool dash = [] {
    char resolved[PATH_MAX];
    if (::realpath("/bin/sh", resolved) == nullptr) {
      return false;
    }
    std::string_view name(resolved);
    return name.substr(name.rfind('/') + 1) == "dash";
  }();
  return dash;
}

}  // namespace plateau
