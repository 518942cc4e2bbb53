#pragma once

// POST /api/v1 (master or agent operator API) with a Call in JSON or protobuf, as an operator's
// tool sends it, and the answer decoded when it is a 200 with a body.

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "http/client.h"
#include "http/content.h"

namespace plateau::testing {

template <class Response>
struct ApiAnswer {
  int status = 0;
  std::string content_type;
  std::string body;
  Response response;
};

template <class Response, class Call>
ApiAnswer<Response> callApi(const http::Endpoint& endpoint, const Call& call,
                            http::ContentType content) {
  auto r = http::fetchSync(endpoint,
                           {.method = "POST",
                            .path = "/api/v1",
                            .headers = {{"content-type", http::mediaType(content)},
                                        {"accept", http::mediaType(content)}},
                            .body = http::encode(call, content)},
                           std::chrono::seconds(10));
  ApiAnswer<Response> answer;
  if (!r) {
    ADD_FAILURE() << "no answer: " << r.error().message();
    return answer;
  }
  answer.status = r->status;
  answer.content_type = r->header("content-type");
  answer.body = r->body;
  if (r->status == 200 && !r->body.empty()) {
    EXPECT_EQ(answer.content_type, http::mediaType(content));
    Status s = http::decode(r->body, content, &answer.response);
    EXPECT_TRUE(s.isOk()) << s.message() << " in " << r->body;
  }
  return answer;
}

// A Call of `type` with nothing else set.
template <class Call>
Call callOfType(typename Call::Type type) {
  Call call;
  call.set_type(type);
  return call;
}

}  // namespace plateau::testing
