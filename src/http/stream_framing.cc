// framedAs (stream_accept.h): kept apart from content.cc, which parsers and the fuzz targets link
// without the server's Responder.
#include "http/stream_accept.h"

namespace plateau::http {

namespace {

// A Responder's exchange that marks a streamed answer as RecordIO of messages.
class RecordioExchange final : public Exchange {
 public:
  explicit RecordioExchange(Responder inner) : inner_(std::move(inner)) {}
  void respond(Response response) override { inner_.respond(std::move(response)); }
  std::shared_ptr<Stream> stream(int status, Headers headers) override {
    auto type = headers.find("content-type");
    if (type != headers.end() && status < 300) {
      headers["message-content-type"] = type->second;
      type->second = kRecordioMediaType;
    }
    return inner_.stream(status, std::move(headers));
  }

 private:
  Responder inner_;
};

}  // namespace

Responder framedAs(const StreamAccept& accept, Responder responder) {
  if (!accept.recordio) {
    return responder;
  }
  return Responder(std::make_shared<RecordioExchange>(std::move(responder)));
}

}  // namespace plateau::http
