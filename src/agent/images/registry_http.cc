#include "agent/images/registry_http.h"

#include <limits>

#include <openssl/ssl.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace plateau::agent::images {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

constexpr uint64_t kMemoryBodyLimit = 16ull << 20;

// Runs one asynchronous operation to completion on `io` (the stream's deadline bounds it).
template <class Start>
beast::error_code await(net::io_context& io, Start start) {
  beast::error_code result = net::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

// A file's size, 0 when it cannot be read.
uint64_t fileSize(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

// Sends the request and reads the answer on a connected stream (plain or TLS).
template <class Stream>
Result<HttpAnswer> exchange(net::io_context& io, Stream& stream, beast::tcp_stream& lowest,
                            const HttpGet& request) {
  auto fail = [&](const char* what, beast::error_code ec) {
    return unavailable(fmt::format("GET {}: {} failed: {}", request.url.str(), what, ec.message()));
  };
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, request.url.path, 11};
  req.set(bhttp::field::host, request.url.authority());
  req.set(bhttp::field::user_agent, "plateau-agent");
  req.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : request.headers) {
    req.set(name, value);
  }
  lowest.expires_after(request.timeout);
  if (auto ec = await(io, [&](auto h) { bhttp::async_write(stream, req, h); })) {
    return fail("sending the request", ec);
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::empty_body> head;
  // A blob going to a file may be of any size (its Content-Length is checked against this
  // limit as soon as the header is read); one kept in memory may not. Not boost::none: Boost
  // 1.74 compares a Content-Length with the optional, and every length exceeds an empty one.
  head.body_limit(request.body_file.empty() ? kMemoryBodyLimit
                                            : std::numeric_limits<std::uint64_t>::max());
  if (auto ec = await(io, [&](auto h) { bhttp::async_read_header(stream, buffer, head, h); })) {
    return fail("reading the answer", ec);
  }
  HttpAnswer answer;
  answer.status = head.get().result_int();
  for (const auto& field : head.get()) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    answer.headers[name] = std::string(field.value());
  }
  // 206: the rest of a blob asked for with a Range header, after what the file already has.
  if ((answer.status == 200 || answer.status == 206) && !request.body_file.empty()) {
    bhttp::response_parser<bhttp::file_body> body{std::move(head)};
    body.body_limit(std::numeric_limits<std::uint64_t>::max());
    beast::error_code ec;
    body.get().body().open(
        request.body_file.c_str(),
        answer.status == 206 ? beast::file_mode::append : beast::file_mode::write, ec);
    if (ec) {
      return unavailable(fmt::format("Failed to write '{}': {}", request.body_file, ec.message()));
    }
    // What a 206 appends to; the answer's length after it.
    const uint64_t kept = answer.status == 206 ? fileSize(request.body_file) : 0;
    const uint64_t length = body.content_length() ? *body.content_length() : 0;
    // Large blobs: the deadline is per read, renewed while bytes keep coming.
    while (!body.is_done()) {
      lowest.expires_after(request.timeout);
      ec = await(io, [&](auto h) { bhttp::async_read_some(stream, buffer, body, h); });
      if (ec) {
        return fail("reading the body", ec);
      }
      if (request.on_body && length > 0) {
        uint64_t left = body.content_length_remaining().value_or(0);
        request.on_body(kept + length - left, kept + length);
      }
    }
    body.get().body().close();
    answer.body_bytes = fileSize(request.body_file);
    return answer;
  }
  bhttp::response_parser<bhttp::string_body> body{std::move(head)};
  body.body_limit(kMemoryBodyLimit);
  if (auto ec = await(io, [&](auto h) { bhttp::async_read(stream, buffer, body, h); })) {
    return fail("reading the body", ec);
  }
  answer.body = std::move(body.get().body());
  answer.body_bytes = answer.body.size();
  return answer;
}

Result<HttpAnswer> httpGetOrThrow(const HttpGet& request);

}  // namespace

std::string HttpAnswer::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

Result<HttpAnswer> httpGet(const HttpGet& request) {
  try {
    return httpGetOrThrow(request);
  } catch (const std::exception& e) {
    return unavailable(fmt::format("GET {}: {}", request.url.str(), e.what()));
  }
}

namespace {

Result<HttpAnswer> httpGetOrThrow(const HttpGet& request) {
  net::io_context io;
  tcp::resolver resolver(io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(request.url.host, request.url.port, ec);
  if (ec) {
    return unavailable(fmt::format("GET {}: cannot resolve '{}': {}", request.url.str(),
                                   request.url.host, ec.message()));
  }
  auto connect = [&](beast::tcp_stream& tcp) -> beast::error_code {
    tcp.expires_after(request.timeout);
    return await(io, [&](auto h) { tcp.async_connect(endpoints, h); });
  };
  if (!request.url.https) {
    beast::tcp_stream stream(io);
    if (auto e = connect(stream)) {
      return unavailable(fmt::format("GET {}: cannot connect: {}", request.url.str(), e.message()));
    }
    return exchange(io, stream, stream, request);
  }
  net::ssl::context tls(net::ssl::context::tls_client);
  tls.set_default_verify_paths();
  tls.set_verify_mode(net::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, tls);
  stream.set_verify_callback(net::ssl::host_name_verification(request.url.host));
  if (!SSL_set_tlsext_host_name(stream.native_handle(), request.url.host.c_str())) {
    return unavailable(fmt::format("GET {}: cannot set the TLS server name", request.url.str()));
  }
  if (auto e = connect(beast::get_lowest_layer(stream))) {
    return unavailable(fmt::format("GET {}: cannot connect: {}", request.url.str(), e.message()));
  }
  if (auto e =
          await(io, [&](auto h) { stream.async_handshake(net::ssl::stream_base::client, h); })) {
    return unavailable(
        fmt::format("GET {}: TLS handshake failed: {}", request.url.str(), e.message()));
  }
  return exchange(io, stream, beast::get_lowest_layer(stream), request);
}

}  // namespace

}  // namespace plateau::agent::images
