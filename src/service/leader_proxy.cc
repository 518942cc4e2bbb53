#include "service/leader_proxy.h"

#include <fmt/format.h>

#include "service/router.h"

namespace plateau::service {

namespace {

bool hopByHop(const std::string& name) {
  return name == "connection" || name == "keep-alive" || name == "transfer-encoding" ||
         name == "content-length" || name == "host" || name == "upgrade" || name == "te" ||
         name == "proxy-connection";
}

}  // namespace

LeaderProxy::LeaderProxy(EventLoop& loop, std::string self_address,
                         std::chrono::milliseconds timeout)
    : loop_(loop), self_(std::move(self_address)), timeout_(timeout), client_(loop) {}

LeaderProxy::~LeaderProxy() = default;

void LeaderProxy::forward(const http::Request& request, const std::optional<std::string>& leader,
                          http::Responder responder) {
  if (!leader || *leader == self_) {
    responder.respond(messageAnswer(503, "Could not determine the current leader"));
    return;
  }
  if (!request.header(kViaHeader).empty()) {
    responder.respond(messageAnswer(
        503, fmt::format("Refusing to proxy a request that was already proxied (via {})",
                         request.header(kViaHeader))));
    return;
  }
  auto to = http::Endpoint::parse(*leader, 8080);
  if (!to) {
    responder.respond(messageAnswer(503, "Unreadable leader address " + *leader));
    return;
  }
  http::ClientRequest out;
  out.method = request.method;
  out.path = request.query.empty() ? request.path : request.path + "?" + request.query;
  for (const auto& [name, value] : request.headers) {
    if (!hopByHop(name)) out.headers[name] = value;
  }
  out.headers[kViaHeader] = "1.1 " + self_;
  out.body = request.body;
  if (request.header("accept").find("text/event-stream") != std::string::npos) {
    forwardStream(*to, std::move(out), std::move(responder));
    return;
  }
  auto shared = std::make_shared<http::Responder>(std::move(responder));
  std::string via = self_;
  client_.fetch(
      *to, std::move(out), timeout_,
      [shared, via, leader = *leader](Result<http::Response> answer) {
        if (!answer) {
          shared->respond(messageAnswer(
              502, fmt::format("Leader {} did not answer: {}", leader, answer.error().message())));
          return;
        }
        http::Response back;
        back.status = answer->status;
        for (const auto& [name, value] : answer->headers) {
          if (!hopByHop(name)) back.headers[name] = value;
        }
        back.headers[kViaHeader] = "1.1 " + via;
        back.body = std::move(answer->body);
        shared->respond(std::move(back));
      });
}

struct LeaderProxy::StreamState {
  explicit StreamState(http::Responder r) : responder(std::move(r)) {}
  http::Responder responder;
  bool answered = false;
  std::shared_ptr<http::Stream> stream;
  std::shared_ptr<http::StreamingCall> call;
};

void LeaderProxy::forwardStream(const http::Endpoint& to, http::ClientRequest request,
                                http::Responder responder) {
  auto state = std::make_shared<StreamState>(std::move(responder));
  streams_.insert(state);
  std::weak_ptr<StreamState> weak = state;
  std::string via = self_;
  // Ends the forwarding: the call is cancelled and the state dropped (its stream closed).
  auto finish = [this, weak] {
    auto s = weak.lock();
    if (!s) return;
    auto call = std::move(s->call);
    if (call) call->cancel();
    if (s->stream && !s->stream->closed()) s->stream->close();
    streams_.erase(s);
  };
  state->call = http::StreamingCall::open(
      loop_, to, std::move(request), timeout_,
      {.on_head =
           [weak, via, finish](const http::Response& head) {
             auto s = weak.lock();
             if (!s || s->answered) return;
             s->answered = true;
             http::Headers headers;
             for (const auto& [name, value] : head.headers) {
               if (!hopByHop(name)) headers[name] = value;
             }
             headers[kViaHeader] = "1.1 " + via;
             s->stream = s->responder.stream(head.status, std::move(headers));
             s->stream->onClosed([finish] { finish(); });
           },
       .on_data =
           [weak](std::string_view data) {
             auto s = weak.lock();
             if (s && s->stream) s->stream->write(std::string(data));
           },
       .on_closed =
           [this, weak](const Status& why) {
             auto s = weak.lock();
             if (!s) return;
             if (!s->answered) {
               s->answered = true;
               s->responder.respond(messageAnswer(502, "Leader did not answer: " + why.message()));
             } else if (s->stream && !s->stream->closed()) {
               s->stream->close();
             }
             s->call.reset();
             streams_.erase(s);
           }});
}

}  // namespace plateau::service
