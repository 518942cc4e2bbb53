#pragma once

// Shorthands over json::Writer (common/json.h) for the writers that lay out a struct member by
// member: `field(w, "name", x)` writes one object member, `values(w, list)` one array of
// plain values. Both find their overload of Writer::value exactly as a direct call would, so
// the text is the same as key() then value(), or beginArray(), value() each, endArray().
// Found by argument-dependent lookup: `field(w, ...)` needs no qualification.

#include <string_view>
#include <utility>

#include "common/json.h"

namespace plateau::json {

// w.key(name) then w.value(v).
template <class T>
void field(Writer& w, std::string_view name, T&& v) {
  w.key(name);
  w.value(std::forward<T>(v));
}

// An array of w.value(item) for each item of `items`, in order.
template <class Range>
void values(Writer& w, const Range& items) {
  w.beginArray();
  for (const auto& item : items) {
    w.value(item);
  }
  w.endArray();
}

}  // namespace plateau::json
