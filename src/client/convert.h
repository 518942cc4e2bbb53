#pragma once

// Conversion between the unversioned messages (package mesos) and their v1 twins: they share
// field numbers and types, so one serializes as the other parses (Mesos's evolve/devolve).
// Fields only one side knows survive as unknown fields.

#include <string>
#include <vector>

#include <google/protobuf/message.h>

namespace plateau::client {

template <class To, class From>
To convert(const From& from) {
  To to;
  to.ParsePartialFromString(from.SerializePartialAsString());
  return to;
}

template <class To, class From>
std::vector<To> convertAll(const From& repeated) {
  std::vector<To> out;
  out.reserve(repeated.size());
  for (const auto& item : repeated) {
    out.push_back(convert<To>(item));
  }
  return out;
}

}  // namespace plateau::client
