#pragma once

// HTTP requests and responses as plain values, shared by the server and the client.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace plateau::http {

// Header names are stored lower-cased.
using Headers = std::map<std::string, std::string>;

struct Request {
  std::string method;
  std::string path;   // without the query string
  std::string query;  // raw, without '?'
  Headers headers;
  std::string body;
  bool keep_alive = true;
  std::string remote;     // the peer's "ip:port", as the server saw it ("" when unknown)
  std::string principal;  // set by the daemon's authentication; "" when anonymous

  // Header value or "" (name is case-insensitive).
  std::string header(const std::string& name) const;
  // Decoded value of a query parameter, if present.
  std::optional<std::string> queryParam(const std::string& name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  static Response text(int status, std::string body);
  static Response json(std::string body, int status = 200);
  std::string header(const std::string& name) const;
};

// Standard reason phrase ("OK", "Accepted", ...).
const char* reasonPhrase(int status);
std::string toLower(std::string s);
std::string urlDecode(const std::string& s);
std::string urlEncode(const std::string& s);

}  // namespace plateau::http
