#pragma once

// HTTP requests and responses as plain values, shared by the server and the client.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace plateau::http {

// Header names are stored lower-cased.
using Headers = std::map<std::string, std::string>;

// One step of a request body read piece by piece: some bytes, the end, or the reason it broke off.
struct BodyPiece {
  std::string data;   // never empty unless `end` or `error`
  bool end = false;   // the whole body has arrived; nothing follows
  std::string error;  // not empty: the body broke off (peer gone, bad framing); nothing follows
};

// A request body that the handler reads as it arrives (ServerOptions::stream_body), so that a
// long-lived request (Mesos's ATTACH_CONTAINER_INPUT) is used while it is still coming, in bounded
// memory: the server reads the next piece only when asked.
class RequestBody {
 public:
  virtual ~RequestBody() = default;
  // Delivers the next piece to `fn`, once, on the loop thread (never inside this call). One read
  // at a time; after an end or an error every read gets the same again.
  virtual void read(std::function<void(BodyPiece)> fn) = 0;
};

struct Request {
  std::string method;
  std::string path;   // without the query string
  std::string query;  // raw, without '?'
  Headers headers;
  std::string body;  // empty when `body_stream` carries it
  // Set only for a request the server streams: the body, read piece by piece.
  std::shared_ptr<RequestBody> body_stream;
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
