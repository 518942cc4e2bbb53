#pragma once

// The OpenSSL side of TlsContext (tls.h), for src/http's server and client only: it pulls in
// Asio's ssl (and OpenSSL's headers).

#include <openssl/ssl.h>

#include <string>

#include <boost/asio/ssl.hpp>

#include "common/status.h"
#include "http/asio.h"
#include "http/tls.h"

namespace plateau::http {

namespace ssl = asio::ssl;

inline ssl::context& nativeContext(const TlsContext& tls) {
  return *static_cast<ssl::context*>(tls.native());
}

// Per-connection client settings: SNI for a host name, and, when the context verifies server
// certificates, the name (or, with VERIFY_IPADD, the IP address) the certificate must carry.
// kInvalidArgument when verification is on and `host` is an IP address without VERIFY_IPADD.
Status prepareClientSsl(SSL* ssl, const TlsContext& tls, const std::string& host);

// Why a client's handshake with `host` failed, in words a user can act on (the certificate did not
// verify and why, the server speaks plain HTTP, the server refused this client), from the
// handshake's error and the connection's verification result. Starts "TLS handshake failed: ".
std::string describeHandshakeFailure(SSL* ssl, const boost::system::error_code& ec,
                                     const std::string& host);

// The last OpenSSL error of this thread as text ("" when none).
std::string lastOpenSslError();

}  // namespace plateau::http
