// GET /master/explain?framework_id=ID or ?role=ROLE: why a framework or role gets no offers now.
// A Plateau extension (Mesos has no such call), kept off the v1 operator API's enums so that it
// can never clash with a future Mesos call. The answer comes from the allocator's own view.

#include <fmt/format.h>

#include "common/json.h"
#include "common/roles.h"
#include "master/master.h"

namespace plateau::master {

namespace {

void writeExplanation(json::Writer& w, const std::string& role,
                      const allocator::Explanation& explanation) {
  w.beginObject();
  w.key("role");
  w.value(role);
  w.key("code");
  w.value(explanation.code);
  w.key("message");
  w.value(explanation.message);
  if (explanation.agents > 0) {
    w.key("agents");
    w.value(static_cast<uint64_t>(explanation.agents));
  }
  if (explanation.ahead > 0) {
    w.key("ahead");
    w.value(static_cast<uint64_t>(explanation.ahead));
  }
  w.endObject();
}

}  // namespace

void Master::explainEndpoint(const http::Request& request, http::Responder responder) {
  if (request.method != "GET" && request.method != "HEAD") {
    http::Response r = http::Response::text(405, "Expecting 'GET'");
    r.headers["allow"] = "GET";
    return responder.respond(std::move(r));
  }
  if (!leading_ || !recovered_) {
    return responder.respond(notLeader(request));
  }
  auto framework_id = request.queryParam("framework_id");
  auto role = request.queryParam("role");
  if (framework_id.has_value() == role.has_value()) {
    return responder.respond(http::Response::text(
        400, "Expecting exactly one of the query parameters 'framework_id' and 'role'"));
  }
  std::string out;
  json::Writer w(&out);
  if (framework_id) {
    Framework* fw = frameworks_.find(*framework_id);
    if (fw == nullptr) {
      return responder.respond(
          http::Response::text(404, fmt::format("Framework '{}' is not known", *framework_id)));
    }
    auto explanations = allocator_.explainFramework(*framework_id);
    if (!explanations) {
      return responder.respond(http::errorResponse(explanations.error()));
    }
    w.beginObject();
    w.key("framework_id");
    w.value(*framework_id);
    w.key("name");
    w.value(fw->info.name());
    w.key("explanations");
    w.beginArray();
    for (const auto& explanation : *explanations) {
      writeExplanation(w, explanation.role, explanation);
    }
    w.endArray();
    w.endObject();
  } else {
    if (Status s = roles::validate(*role); !s.isOk()) {
      return responder.respond(http::Response::text(400, s.message()));
    }
    auto explanation = allocator_.explainRole(*role);
    if (!explanation && explanation.error().code() == StatusCode::kNotFound) {
      // A role nothing refers to: no framework is there to receive offers.
      allocator::Explanation none;
      none.code = "NO_FRAMEWORKS";
      none.message = fmt::format("No framework is subscribed to role '{}'", *role);
      none.role = *role;
      explanation = none;
    }
    if (!explanation) {
      return responder.respond(http::errorResponse(explanation.error()));
    }
    w.beginObject();
    w.key("role");
    w.value(*role);
    w.key("explanations");
    w.beginArray();
    writeExplanation(w, *role, *explanation);
    w.endArray();
    w.endObject();
  }
  responder.respond(http::Response::json(std::move(out)));
}

}  // namespace plateau::master
