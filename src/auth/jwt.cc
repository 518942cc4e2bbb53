#include "auth/jwt.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <fmt/format.h>

#include "common/base64.h"

namespace plateau::auth {
namespace {

Status invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string headerAndPayload(std::string_view alg, const json::Value& claims) {
  json::Value header(json::Object{});
  header.set("alg", alg);
  header.set("typ", "JWT");
  return base64::encodeUrlSafe(json::stringify(header)) + "." +
         base64::encodeUrlSafe(json::stringify(claims));
}

std::shared_ptr<void> loadKey(std::string_view pem, bool private_key) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) {
    return nullptr;
  }
  EVP_PKEY* key = private_key ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr)
                              : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
    EVP_PKEY_free(key);
    return nullptr;
  }
  return std::shared_ptr<void>(key, [](void* k) { EVP_PKEY_free(static_cast<EVP_PKEY*>(k)); });
}

bool rsaVerify(void* key, std::string_view data, std::string_view signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, static_cast<EVP_PKEY*>(key)) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

// The "exp" / "nbf" claim as seconds, if present and numeric.
std::optional<double> timeClaim(const json::Value& claims, std::string_view name) {
  const json::Value* v = claims.find(name);
  if (v == nullptr || !v->isNumber()) {
    return std::nullopt;
  }
  return v->asDouble();
}

}  // namespace

std::string signHs256(const json::Value& claims, std::string_view key) {
  std::string signing_input = headerAndPayload("HS256", claims);
  return signing_input + "." + base64::encodeUrlSafe(hmacSha256(key, signing_input));
}

Result<std::string> signRs256(const json::Value& claims, std::string_view private_key_pem) {
  auto key = loadKey(private_key_pem, true);
  if (key == nullptr) {
    return std::unexpected(invalid("The RS256 private key is not an RSA key in PEM form"));
  }
  std::string signing_input = headerAndPayload("RS256", claims);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string signature;
  bool ok = ctx != nullptr &&
            EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr,
                               static_cast<EVP_PKEY*>(key.get())) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len,
                           reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()) == 1;
  if (ok) {
    signature.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &len,
                        reinterpret_cast<const unsigned char*>(signing_input.data()),
                        signing_input.size()) == 1;
    signature.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    return std::unexpected(Status(StatusCode::kInternal, "RS256 signing failed"));
  }
  return signing_input + "." + base64::encodeUrlSafe(signature);
}

Result<JwtVerifier> JwtVerifier::create(std::string hs256_key,
                                        std::string_view rs256_public_key_pem) {
  JwtVerifier verifier;
  verifier.hs256_key_ = std::move(hs256_key);
  if (!rs256_public_key_pem.empty()) {
    verifier.rs256_key_ = loadKey(rs256_public_key_pem, false);
    if (verifier.rs256_key_ == nullptr) {
      return std::unexpected(invalid("The RS256 public key is not an RSA public key in PEM form"));
    }
  }
  return verifier;
}

Result<json::Value> JwtVerifier::verify(std::string_view token, int64_t now) const {
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return std::unexpected(invalid("Malformed token: expected header.payload.signature"));
  }
  auto header_text = base64::decodeUrlSafe(token.substr(0, dot1));
  auto payload_text = base64::decodeUrlSafe(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = base64::decodeUrlSafe(token.substr(dot2 + 1));
  if (!header_text || !payload_text || !signature) {
    return std::unexpected(invalid("Malformed token: a part is not base64url"));
  }
  auto header = json::parse(*header_text);
  auto claims = json::parse(*payload_text);
  if (!header || !header->isObject() || !claims || !claims->isObject()) {
    return std::unexpected(invalid("Malformed token: header or claims are not JSON objects"));
  }
  const json::Value* alg = header->find("alg");
  std::string algorithm = alg != nullptr && alg->isString() ? alg->asString() : "";
  std::string_view signing_input = token.substr(0, dot2);
  if (algorithm == "HS256" && acceptsHs256()) {
    std::string expected = hmacSha256(hs256_key_, signing_input);
    if (expected.size() != signature->size() ||
        CRYPTO_memcmp(expected.data(), signature->data(), expected.size()) != 0) {
      return std::unexpected(invalid("Token signature is invalid"));
    }
  } else if (algorithm == "RS256" && acceptsRs256()) {
    if (!rsaVerify(rs256_key_.get(), signing_input, *signature)) {
      return std::unexpected(invalid("Token signature is invalid"));
    }
  } else {
    return std::unexpected(
        invalid(fmt::format("Token algorithm '{}' is not accepted here", algorithm)));
  }
  if (auto exp = timeClaim(*claims, "exp"); exp && static_cast<double>(now) >= *exp) {
    return std::unexpected(invalid("Token has expired"));
  }
  if (auto nbf = timeClaim(*claims, "nbf"); nbf && static_cast<double>(now) < *nbf) {
    return std::unexpected(invalid("Token is not valid yet"));
  }
  return std::move(*claims);
}

}  // namespace plateau::auth
