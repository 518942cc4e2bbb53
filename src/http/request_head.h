#pragma once

// The http::Request a server makes of a parsed request's head: method, path and query split
// at the first '?', header names lower-cased (repeated headers joined with ", " as one), and
// keep-alive. Shared by the server's connections (http/connection.cc) and the request parser's
// fuzz target, so that the target checks exactly what the server runs.

#include <string>

#include "http/message.h"

namespace plateau::http {

// `Message` is a Beast request, or its parser's: the body is left to the caller.
template <class Message>
Request requestHead(const Message& msg) {
  Request request;
  request.method = std::string(msg.method_string());
  std::string target(msg.target());
  size_t q = target.find('?');
  request.path = target.substr(0, q);
  if (q != std::string::npos) {
    request.query = target.substr(q + 1);
  }
  for (const auto& field : msg) {
    std::string name = toLower(std::string(field.name_string()));
    auto [it, inserted] = request.headers.emplace(name, std::string(field.value()));
    if (!inserted) {
      it->second += ", " + std::string(field.value());
    }
  }
  request.keep_alive = msg.keep_alive();
  return request;
}

}  // namespace plateau::http
