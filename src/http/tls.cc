#include "http/tls.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include "http/tls_native.h"

namespace plateau::http {

namespace {

std::unexpected<Status> configError(const std::string& what) {
  std::string detail = lastOpenSslError();
  return invalidArgument(detail.empty() ? what : fmt::format("{}: {}", what, detail));
}

long protocolOptions(const TlsConfig& c) {
  long options =
      SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE;
  if (!c.enable_tls_v1_0) options |= SSL_OP_NO_TLSv1;
  if (!c.enable_tls_v1_1) options |= SSL_OP_NO_TLSv1_1;
  if (!c.enable_tls_v1_2) options |= SSL_OP_NO_TLSv1_2;
  if (!c.enable_tls_v1_3) options |= SSL_OP_NO_TLSv1_3;
  return options;
}

// Protocols, ciphers, curves and the verification depth.
Status configureProtocol(SSL_CTX* ctx, const TlsConfig& c) {
  // Let the ENABLE_TLS_* switches decide, not a build's default floor.
  SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
  SSL_CTX_set_options(ctx, protocolOptions(c));
  if (!c.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, c.ciphers.c_str()) != 1) {
    return configError(
               fmt::format("{}='{}' names no usable cipher", c.nameOf("CIPHERS"), c.ciphers))
        .error();
  }
  if (c.ecdh_curve != "auto" && SSL_CTX_set1_groups_list(ctx, c.ecdh_curve.c_str()) != 1) {
    return configError(fmt::format("{}='{}' is not a curve list OpenSSL knows",
                                   c.nameOf("ECDH_CURVE"), c.ecdh_curve))
        .error();
  }
  SSL_CTX_set_verify_depth(ctx, c.verify_depth);
  return Status::ok();
}

// The certificate presented to peers and its key.
Status loadIdentity(ssl::context& ctx, const TlsConfig& c) {
  boost::system::error_code ec;
  ctx.use_certificate_chain_file(c.cert_file, ec);
  if (ec) {
    return configError(fmt::format("{}='{}' cannot be loaded", c.nameOf("CERT_FILE"), c.cert_file))
        .error();
  }
  ctx.use_private_key_file(c.key_file, ssl::context::pem, ec);
  if (ec) {
    return configError(fmt::format("{}='{}' cannot be loaded", c.nameOf("KEY_FILE"), c.key_file))
        .error();
  }
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    return configError(fmt::format("{}='{}' does not match the certificate in {}='{}'",
                                   c.nameOf("KEY_FILE"), c.key_file, c.nameOf("CERT_FILE"),
                                   c.cert_file))
        .error();
  }
  return Status::ok();
}

// The certificate authorities peers' certificates are checked against.
Status loadAuthorities(ssl::context& ctx, const TlsConfig& c) {
  boost::system::error_code ec;
  if (!c.ca_file.empty()) {
    ctx.load_verify_file(c.ca_file, ec);
    if (ec) {
      return configError(fmt::format("{}='{}' cannot be loaded", c.nameOf("CA_FILE"), c.ca_file))
          .error();
    }
  }
  if (!c.ca_dir.empty()) {
    ctx.add_verify_path(c.ca_dir, ec);
    if (ec) {
      return configError(fmt::format("{}='{}' cannot be used", c.nameOf("CA_DIR"), c.ca_dir))
          .error();
    }
  }
  if (c.ca_file.empty() && c.ca_dir.empty()) {
    ctx.set_default_verify_paths(ec);
  }
  return Status::ok();
}

Status configure(ssl::context& ctx, const TlsConfig& c, TlsContext::Role role) {
  ERR_clear_error();
  if (Status s = configureProtocol(ctx.native_handle(), c); !s.isOk()) {
    return s;
  }
  bool server = role == TlsContext::Role::kServer;
  const bool lone = c.cert_file.empty() != c.key_file.empty();
  const char* given = c.cert_file.empty() ? "KEY_FILE" : "CERT_FILE";
  const char* missing = c.cert_file.empty() ? "CERT_FILE" : "KEY_FILE";
  const std::string half =
      lone ? fmt::format("{}='{}' is set but {} is not", c.nameOf(given),
                         c.cert_file.empty() ? c.key_file : c.cert_file, c.nameOf(missing))
           : "";
  if (server && (c.cert_file.empty() || c.key_file.empty())) {
    return {StatusCode::kInvalidArgument,
            fmt::format("{}=true needs a certificate and key to serve: set "
                        "LIBPROCESS_SSL_CERT_FILE and LIBPROCESS_SSL_KEY_FILE (--ssl_cert_file "
                        "and --ssl_key_file){}",
                        c.nameOf("ENABLED"), lone ? " (" + half + ")" : "")};
  }
  // OpenSSL itself reads SSL_CERT_FILE (as its CA bundle), so the old SSL_ spelling alone is
  // often set for reasons of its own: a client leaves a lone one be, as it always has.
  if (lone && !c.nameOf(given).starts_with("SSL_")) {
    return {StatusCode::kInvalidArgument,
            half + ": a certificate needs its key and a key its certificate"};
  }
  // A client presents its certificate when it has one (mutual TLS); a server always does.
  if (server || (!c.cert_file.empty() && !c.key_file.empty())) {
    if (Status s = loadIdentity(ctx, c); !s.isOk()) {
      return s;
    }
  }
  bool verify = server ? c.require_client_cert : c.verify_server_cert;
  if (!verify) {
    ctx.set_verify_mode(ssl::verify_none);
    return Status::ok();
  }
  if (Status s = loadAuthorities(ctx, c); !s.isOk()) {
    return s;
  }
  ctx.set_verify_mode(server ? ssl::verify_peer | ssl::verify_fail_if_no_peer_cert
                             : ssl::verify_peer);
  return Status::ok();
}

}  // namespace

std::string describeHandshakeFailure(SSL* ssl, const boost::system::error_code& ec,
                                     const std::string& host) {
  const long verified = SSL_get_verify_result(ssl);
  std::string why;
  if (verified == X509_V_ERR_HOSTNAME_MISMATCH || verified == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    why = fmt::format(
        "certificate verify failed: the server's certificate does not name '{}' "
        "({}; connect by a name the certificate carries)",
        host, X509_verify_cert_error_string(verified));
  } else if (verified != X509_V_OK) {
    why = fmt::format(
        "certificate verify failed: {} (is the authority that signed the server's "
        "certificate in --ssl_ca_file / LIBPROCESS_SSL_CA_FILE?)",
        X509_verify_cert_error_string(verified));
  } else if (ec == ssl::error::stream_truncated || ec == asio::error::eof ||
             ec == asio::error::connection_reset) {
    why = fmt::format(
        "the server closed the connection during the handshake ({}): a plain HTTP "
        "server, or one that refused this client",
        ec.message());
  } else if (ec.category() == asio::error::get_ssl_category()) {
    const int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    const std::string text = ec.message();
    if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
        reason == SSL_R_HTTP_REQUEST) {
      why = fmt::format(
          "the server did not answer in TLS ({}): it serves plain HTTP (use "
          "http://, or turn --ssl_enabled / LIBPROCESS_SSL_ENABLED off)",
          text);
    } else if (text.find("alert") != std::string::npos) {
      why = fmt::format(
          "the server refused this client ({}): it may require a client "
          "certificate from an authority it trusts (--ssl_cert_file and "
          "--ssl_key_file), or share no protocol version or cipher with it",
          text);
    } else {
      why = text;
    }
  } else {
    why = ec.message();
  }
  return "TLS handshake failed: " + why;
}

std::string lastOpenSslError() {
  unsigned long code = 0;
  unsigned long last = 0;
  while ((code = ERR_get_error()) != 0) {
    last = code;
  }
  if (last == 0) {
    return "";
  }
  char buf[256];
  ERR_error_string_n(last, buf, sizeof(buf));
  return buf;
}

TlsContext::TlsContext(TlsConfig config, Role role) : config_(std::move(config)), role_(role) {}
TlsContext::~TlsContext() = default;

Result<std::shared_ptr<const TlsContext>> TlsContext::create(const TlsConfig& config, Role role) {
  std::shared_ptr<TlsContext> tls(new TlsContext(config, role));
  auto ctx = std::make_shared<ssl::context>(role == Role::kServer ? ssl::context::tls_server
                                                                  : ssl::context::tls_client);
  if (Status s = configure(*ctx, config, role); !s.isOk()) {
    return std::unexpected(s);
  }
  tls->native_ = std::move(ctx);
  return tls;
}

Status prepareClientSsl(SSL* ssl, const TlsContext& tls, const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  bool is_ip = !ec;
  if (!is_ip) {
    SSL_set_tlsext_host_name(ssl, host.c_str());
  }
  const TlsConfig& c = tls.config();
  if (!c.verify_server_cert) {
    return Status::ok();
  }
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip) {
    if (!c.verify_ipadd) {
      return {StatusCode::kInvalidArgument,
              fmt::format("cannot verify the certificate of {}: it is an IP address and "
                          "LIBPROCESS_SSL_VERIFY_IPADD is false (connect by host name, or set it)",
                          host)};
    }
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  }
  return Status::ok();
}

Result<std::shared_ptr<const TlsContext>> httpsClientTls(const EnvironmentMap& env) {
  auto config = parseTlsConfig(env);
  if (!config) {
    return std::unexpected(config.error());
  }
  config->enabled = true;
  // TLS 1.3 too unless the environment says otherwise: https:// servers elsewhere expect it.
  if (!config->given("ENABLE_TLS_V1_3")) {
    config->enable_tls_v1_3 = true;
  }
  return TlsContext::create(*config, TlsContext::Role::kClient);
}

Result<std::shared_ptr<const TlsContext>> defaultHttpsClientTls() {
  static const Result<std::shared_ptr<const TlsContext>> tls = httpsClientTls(tlsEnvironment());
  return tls;
}

Result<std::shared_ptr<const TlsContext>> processClientTls() {
  static const Result<std::shared_ptr<const TlsContext>> tls =
      []() -> Result<std::shared_ptr<const TlsContext>> {
    auto config = parseTlsConfig(tlsEnvironment());
    if (!config) {
      return std::unexpected(config.error());
    }
    if (!config->enabled) {
      return nullptr;
    }
    return TlsContext::create(*config, TlsContext::Role::kClient);
  }();
  return tls;
}

}  // namespace plateau::http
