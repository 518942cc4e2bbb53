#include "auth/credentials.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "common/json.h"

namespace plateau::auth {
namespace {

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// One {"principal": ..., "secret": ...} object; `where` names it in errors.
Result<Credential> credentialOf(const json::Value& entry, const std::string& where) {
  if (!entry.isObject()) {
    return std::unexpected(invalid(fmt::format("{} is not a JSON object", where)));
  }
  const json::Value* principal = entry.find("principal");
  if (principal == nullptr || !principal->isString() || principal->asString().empty()) {
    return std::unexpected(invalid(fmt::format("{} has no 'principal' string", where)));
  }
  const json::Value* secret = entry.find("secret");
  if (secret != nullptr && !secret->isString()) {
    return std::unexpected(invalid(fmt::format("{}: 'secret' is not a string", where)));
  }
  return Credential{principal->asString(), secret == nullptr ? "" : secret->asString()};
}

// The deprecated text form: "principal secret" per non-empty line.
Result<std::vector<Credential>> parseLines(std::string_view text, std::string_view source) {
  std::vector<Credential> out;
  size_t line_no = 0;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    std::string_view l = trim(line);
    if (l.empty()) {
      continue;
    }
    size_t space = l.find_first_of(" \t");
    if (space == std::string_view::npos) {
      return std::unexpected(invalid(fmt::format(
          "Credentials file '{}', line {}: expected 'principal secret'", source, line_no)));
    }
    out.push_back(
        Credential{std::string(l.substr(0, space)), std::string(trim(l.substr(space + 1)))});
  }
  return out;
}

}  // namespace

Result<SecretFile> readSecretFile(std::string_view flag, std::string_view value) {
  std::string path(value);
  if (path.starts_with("file://")) {
    path = path.substr(7);
  }
  std::ifstream in(path, std::ios::binary);
  if (path.empty() || !in) {
    return std::unexpected(
        invalid(fmt::format("Flag '--{}': cannot read the file '{}'", flag, path)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  SecretFile file{path, text.str(), ""};
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
    file.warning = fmt::format(
        "Permissions on the credentials file '{}' (flag '--{}') let others read it: make it "
        "readable by its owner only",
        path, flag);
  }
  return file;
}

Result<std::vector<Credential>> parseCredentials(std::string_view text, std::string_view source) {
  std::string_view body = trim(text);
  std::vector<Credential> out;
  if (body.starts_with("{")) {
    auto doc = json::parse(body);
    if (!doc) {
      return std::unexpected(
          invalid(fmt::format("Credentials file '{}': {}", source, doc.error().message())));
    }
    const json::Value* list = doc->isObject() ? doc->find("credentials") : nullptr;
    if (list == nullptr || !list->isArray()) {
      return std::unexpected(invalid(fmt::format(
          "Credentials file '{}': expected an object with a 'credentials' array", source)));
    }
    for (size_t i = 0; i < list->size(); ++i) {
      auto one = credentialOf((*list)[i], fmt::format("Credentials file '{}': entry {} of "
                                                      "'credentials'",
                                                      source, i + 1));
      if (!one) {
        return std::unexpected(one.error());
      }
      out.push_back(std::move(*one));
    }
  } else {
    auto lines = parseLines(body, source);
    if (!lines) {
      return lines;
    }
    out = std::move(*lines);
  }
  if (out.empty()) {
    return std::unexpected(
        invalid(fmt::format("Credentials file '{}' holds no credential", source)));
  }
  return out;
}

Result<Credential> parseCredential(std::string_view text, std::string_view source) {
  std::string_view body = trim(text);
  if (body.starts_with("{")) {
    auto doc = json::parse(body);
    if (!doc) {
      return std::unexpected(
          invalid(fmt::format("Credential file '{}': {}", source, doc.error().message())));
    }
    return credentialOf(*doc, fmt::format("Credential file '{}'", source));
  }
  auto lines = parseLines(body, source);
  if (!lines) {
    return std::unexpected(lines.error());
  }
  if (lines->size() != 1) {
    return std::unexpected(invalid(fmt::format(
        "Credential file '{}' must hold exactly one credential, found {}", source, lines->size())));
  }
  return lines->front();
}

Result<std::vector<Credential>> loadCredentials(std::string_view flag, std::string_view value,
                                                std::string* warning) {
  auto file = readSecretFile(flag, value);
  if (!file) {
    return std::unexpected(file.error());
  }
  if (warning != nullptr) {
    *warning = file->warning;
  }
  return parseCredentials(file->contents, file->path);
}

}  // namespace plateau::auth
