// ATTACH_CONTAINER_INPUT (agent/nested_containers.h): one long-lived request whose body is a
// RecordIO stream of calls, used record by record as it arrives, as Mesos's agent does.

#include <fmt/format.h>
#include <mesos/v1/agent/agent.pb.h>

#include "agent/nested_state.h"

namespace plateau::agent {

namespace agent_api = mesos::v1::agent;

namespace {

http::Response badRequest(std::string message) {
  return http::Response::text(400, std::move(message));
}

// A body the server read whole (a handler run without sockets): one piece, then the end.
class WholeBody final : public http::RequestBody {
 public:
  WholeBody(Timers& timers, std::string body) : timers_(timers), body_(std::move(body)) {}
  void read(std::function<void(http::BodyPiece)> fn) override {
    http::BodyPiece piece;
    if (body_.empty()) {
      piece.end = true;
    } else {
      piece.data = std::exchange(body_, std::string());
    }
    timers_.post(
        [fn = std::move(fn), piece = std::move(piece)]() mutable { fn(std::move(piece)); });
  }

 private:
  Timers& timers_;
  std::string body_;
};

// Mesos's checks of a record after the first (the process_io it carries).
std::optional<std::string> invalidProcessIo(const agent_api::Call& call) {
  const auto& in = call.attach_container_input();
  if (call.type() != agent_api::Call::ATTACH_CONTAINER_INPUT ||
      !call.has_attach_container_input()) {
    return "Expecting 'type' to be 'ATTACH_CONTAINER_INPUT' in every record of the stream";
  }
  if (in.type() != agent_api::Call::AttachContainerInput::PROCESS_IO) {
    return "Expecting 'attach_container_input.type' to be 'PROCESS_IO' after the first record";
  }
  if (!in.has_process_io()) {
    return "Expecting 'attach_container_input.process_io' to be present";
  }
  const auto& io = in.process_io();
  if (io.type() == agent_api::ProcessIO::DATA) {
    if (!io.has_data() || !io.data().has_type() || !io.data().has_data()) {
      return "Expecting 'process_io.data' with 'type' and 'data' to be present";
    }
    if (io.data().type() != agent_api::ProcessIO::Data::STDIN) {
      return "Expecting 'process_io.data.type' to be 'STDIN'";
    }
    return std::nullopt;
  }
  if (io.type() != agent_api::ProcessIO::CONTROL) {
    return "'process_io.type' is unknown";
  }
  if (!io.has_control() || !io.control().has_type()) {
    return "Expecting 'process_io.control.type' to be present";
  }
  switch (io.control().type()) {
    case agent_api::ProcessIO::Control::TTY_INFO:
      if (!io.control().has_tty_info() || !io.control().tty_info().has_window_size()) {
        return "Expecting 'process_io.control.tty_info.window_size' to be present";
      }
      return std::nullopt;
    case agent_api::ProcessIO::Control::HEARTBEAT:
      if (!io.control().has_heartbeat()) {
        return "Expecting 'process_io.control.heartbeat' to be present";
      }
      return std::nullopt;
    default:
      return "'process_io.control.type' is unknown";
  }
}

}  // namespace

bool NestedContainers::streamsBody(const http::Request& head) {
  return head.method == "POST" && (head.path == "/api/v1" || head.path == "/slave(1)/api/v1") &&
         http::toLower(head.header("content-type")).starts_with(http::kRecordioMediaType);
}

void NestedContainers::attachInput(const http::Request& request, http::Responder responder,
                                   Refuse refuse) {
  std::string message_type = request.header("message-content-type");
  if (message_type.empty()) {
    return responder.respond(
        badRequest("Expecting 'Message-Content-Type' to be set for streaming requests"));
  }
  http::Request as_message;
  as_message.headers["content-type"] = message_type;
  auto type = http::bodyType(as_message);
  if (!type) {
    return responder.respond(
        http::Response::text(415, fmt::format("Expecting 'Message-Content-Type' of {} or {}",
                                              http::kJsonMediaType, http::kProtobufMediaType)));
  }
  auto input = std::make_shared<Input>();
  input->type = *type;
  input->refuse = std::move(refuse);
  input->responder.emplace(std::move(responder));
  input->body = http::streamedBody(request);
  if (!input->body) {
    input->body = std::make_shared<WholeBody>(timers_, request.body);
  }
  readInput(input);
}

void NestedContainers::readInput(const std::shared_ptr<Input>& input) {
  input->body->read([this, input, alive = std::weak_ptr<bool>(alive_)](http::BodyPiece piece) {
    if (alive.lock()) {
      onInputPiece(input, std::move(piece));
    }
  });
}

void NestedContainers::onInputPiece(const std::shared_ptr<Input>& input, http::BodyPiece piece) {
  if (!input->responder) {
    return;  // answered already (an error, or the container ended)
  }
  if (!piece.error.empty()) {
    log_->info("nested_container_input_broken container_id={} error=\"{}\"", input->key,
               piece.error);
    return answerInput(*input, badRequest(piece.error));  // goes nowhere if the peer left
  }
  if (piece.end) {
    if (!input->decoder.atRecordBoundary()) {
      return answerInput(*input, badRequest("The request body ended inside a RecordIO record"));
    }
    if (input->key.empty()) {
      return answerInput(*input, badRequest("Received EOF while reading request body"));
    }
    return answerInput(*input, http::Response{.status = 200, .headers = {}, .body = {}});
  }
  auto records = input->decoder.decode(piece.data);
  if (!records) {
    return answerInput(*input, badRequest(fmt::format("Failed to decode the RecordIO request "
                                                      "body: {}",
                                                      records.error().message())));
  }
  for (const auto& record : *records) {
    if (auto answer = inputRecord(input, record)) {
      return answerInput(*input, std::move(*answer));
    }
  }
  // Read on once the process has taken most of what waits for it (bounded memory).
  auto it = containers_.find(input->key);
  NestedIo* io = it == containers_.end() ? nullptr : it->second->io.get();
  if (io == nullptr) {
    return readInput(input);  // the first record is still coming
  }
  std::weak_ptr<bool> alive = alive_;
  io->onInputBelow(kMaxQueuedInput, [this, input, alive] {
    if (alive.lock() && input->responder) {
      readInput(input);
    }
  });
}

std::optional<http::Response> NestedContainers::inputRecord(const std::shared_ptr<Input>& input,
                                                            const std::string& record) {
  agent_api::Call call;
  if (Status s = http::decode(record, input->type, &call); !s.isOk()) {
    return badRequest(fmt::format("Failed to parse body into Call protobuf: {}", s.message()));
  }
  if (input->key.empty()) {
    return firstInput(input, call);
  }
  if (auto bad = invalidProcessIo(call)) {
    return badRequest(*bad);
  }
  auto it = containers_.find(input->key);
  if (it == containers_.end() || !it->second->io || it->second->status) {
    return http::Response{.status = 200, .headers = {}, .body = {}};  // it ended meanwhile
  }
  const auto& io = call.attach_container_input().process_io();
  if (io.type() == agent_api::ProcessIO::DATA) {
    it->second->io->write(io.data().data());  // empty: the end of input
  } else if (io.control().type() == agent_api::ProcessIO::Control::TTY_INFO) {
    const auto& size = io.control().tty_info().window_size();
    it->second->io->resize(static_cast<uint16_t>(size.rows()),
                           static_cast<uint16_t>(size.columns()));
  }
  return std::nullopt;  // a HEARTBEAT only keeps the connection alive
}

std::optional<http::Response> NestedContainers::firstInput(const std::shared_ptr<Input>& input,
                                                           const agent_api::Call& call) {
  if (call.type() != agent_api::Call::ATTACH_CONTAINER_INPUT) {
    return http::Response::text(
        415, fmt::format("Streaming 'Content-Type' {} is not supported for {} call",
                         http::kRecordioMediaType, agent_api::Call::Type_Name(call.type())));
  }
  if (auto refused = input->refuse ? input->refuse(call) : std::nullopt) {
    return refused;
  }
  const auto& first = call.attach_container_input();
  if (first.type() != agent_api::Call::AttachContainerInput::CONTAINER_ID ||
      !first.has_container_id()) {
    return badRequest(
        "Expecting 'attach_container_input.type' to be CONTAINER_ID, with 'container_id', in "
        "the first message");
  }
  auto it = containers_.find(keyOf(first.container_id()));
  if (it == containers_.end()) {
    return http::Response::text(
        404, fmt::format("Container {} cannot be found", keyOf(first.container_id())));
  }
  Container& container = *it->second;
  if (!container.io || container.status) {
    return badRequest(fmt::format(
        "Container {} takes no input: {}", it->first,
        container.status ? "it has terminated" : "it was launched without a session or a TTY"));
  }
  if (container.input) {
    return http::Response::text(409, "Multiple input connections are not allowed");
  }
  input->key = it->first;
  container.input = input;
  return std::nullopt;
}

void NestedContainers::answerInput(Input& input, http::Response response) {
  if (!input.responder) {
    return;
  }
  auto it = input.key.empty() ? containers_.end() : containers_.find(input.key);
  if (it != containers_.end() && it->second->input.get() == &input) {
    it->second->input.reset();
  }
  auto responder = std::move(*input.responder);
  input.responder.reset();
  responder.respond(std::move(response));
}

}  // namespace plateau::agent
