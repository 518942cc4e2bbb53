#pragma once

// The one rule for every client of a RecordIO event stream (the scheduler and executor
// libraries, the agent's link to the master, the command executor): a record that does not
// parse as the expected event means the stream can no longer be trusted, exactly like a broken
// length prefix. Both end the stream with an error; the client drops the connection and
// re-subscribes, as it does when the connection breaks, so no event is skipped in silence.

#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/recordio.h"
#include "common/status.h"

namespace plateau::recordio {

// Decodes `chunk` into the events it completes, in order. InvalidArgument when the framing is
// broken or a record is not an `Event` (naming its type and size); the decoder is then failed.
template <class Event>
Result<std::vector<Event>> decodeEvents(Decoder& decoder, std::string_view chunk) {
  auto records = decoder.decode(chunk);
  if (!records) {
    return std::unexpected(records.error());
  }
  std::vector<Event> events(records->size());
  for (size_t i = 0; i < records->size(); ++i) {
    if (!events[i].ParseFromString((*records)[i])) {
      return invalidArgument(fmt::format("Undecodable {} in the event stream ({} bytes)",
                                         Event::descriptor()->full_name(), (*records)[i].size()));
    }
  }
  return events;
}

}  // namespace plateau::recordio
