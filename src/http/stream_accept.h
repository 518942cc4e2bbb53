#pragma once

// Streamed answers of the v1 APIs: Accept may ask for application/recordio, with Message-Accept
// naming the records' encoding, as Mesos's agent allows (content.h has the rest of the
// negotiation).

#include <expected>

#include "common/status.h"
#include "http/content.h"
#include "http/message.h"
#include "http/server.h"

namespace google::protobuf {
class Message;
}

namespace plateau::http {

inline constexpr const char* kRecordioMediaType = "application/recordio";

// How a streamed answer is typed: its records are encoded as `message`; with `recordio` (the
// client's Accept asked for application/recordio) the answer's Content-Type says
// application/recordio and its Message-Content-Type names `message`, as Mesos's agent does.
struct StreamAccept {
  ContentType message = ContentType::kJson;
  bool recordio = false;
};

// A streamed answer's type from Accept and Message-Accept, Mesos's order: JSON, then protobuf,
// then application/recordio (its records in what Message-Accept allows, JSON first; JSON
// without it). An error (for a 406) names what is accepted.
Result<StreamAccept> streamAcceptType(const Request& request);

// decodeOperatorCall for an API some of whose calls stream their answer: Accept may also ask
// for application/recordio, which only calls for which `streams(type)` holds may (else 406
// "Streaming response is not supported for <TYPE> call").
std::expected<StreamAccept, Response> decodeStreamingCall(const Request& request,
                                                          google::protobuf::Message* call,
                                                          bool (*streams)(int type));

// `responder`, or (with `accept.recordio`) one whose stream() answers with Content-Type
// application/recordio and Message-Content-Type set to the Content-Type its caller gave.
Responder framedAs(const StreamAccept& accept, Responder responder);

}  // namespace plateau::http
