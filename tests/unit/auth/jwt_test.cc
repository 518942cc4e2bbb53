#include "auth/jwt.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <gtest/gtest.h>

#include "common/base64.h"

namespace plateau::auth {
namespace {

json::Value claims(int64_t exp) {
  json::Value c(json::Object{});
  c.set("sub", "alice");
  c.set("exp", exp);
  return c;
}

// A fresh RSA key pair as PEM: {private, public}.
std::pair<std::string, std::string> rsaKeyPair() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  auto pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(len));
    BIO_free(bio);
    return out;
  };
  std::string priv =
      pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  std::string pub = pem([&](BIO* b) { PEM_write_bio_PUBKEY(b, key); });
  EVP_PKEY_free(key);
  return {priv, pub};
}

TEST(JwtTest, Hs256RoundTripsAndMatchesTheRfcExample) {
  auto verifier = JwtVerifier::create("key", "");
  ASSERT_TRUE(verifier);
  std::string token = signHs256(claims(2000), "key");
  auto back = verifier->verify(token, 1000);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ((*back)["sub"].asString(), "alice");
  // The header is {"alg":"HS256","typ":"JWT"}.
  auto header = base64::decodeUrlSafe(token.substr(0, token.find('.')));
  ASSERT_TRUE(header);
  EXPECT_EQ(*header, R"({"alg":"HS256","typ":"JWT"})");
}

TEST(JwtTest, RefusesExpiredNotYetValidForgedAndMalformedTokens) {
  auto verifier = JwtVerifier::create("key", "");
  ASSERT_TRUE(verifier);
  auto expired = verifier->verify(signHs256(claims(1000), "key"), 1000);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().message(), "Token has expired");
  json::Value later = claims(5000);
  later.set("nbf", 3000);
  EXPECT_EQ(verifier->verify(signHs256(later, "key"), 2000).error().message(),
            "Token is not valid yet");
  EXPECT_EQ(verifier->verify(signHs256(claims(2000), "other"), 1000).error().message(),
            "Token signature is invalid");
  EXPECT_FALSE(verifier->verify("a.b", 1000));
  EXPECT_FALSE(verifier->verify("a.b.c.d", 1000));
  EXPECT_FALSE(verifier->verify("!!.??.**", 1000));
  // "alg": "none" is never accepted, even with an empty signature.
  std::string none = base64::encodeUrlSafe(R"({"alg":"none"})") + "." +
                     base64::encodeUrlSafe(R"({"sub":"alice"})") + ".";
  auto refused = verifier->verify(none, 1000);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("'none'"), std::string::npos);
}

TEST(JwtTest, Rs256TokensVerifyWithThePublicKeyOnly) {
  auto [priv, pub] = rsaKeyPair();
  auto token = signRs256(claims(2000), priv);
  ASSERT_TRUE(token) << token.error().message();
  auto rs = JwtVerifier::create("", pub);
  ASSERT_TRUE(rs);
  EXPECT_TRUE(rs->verify(*token, 1000));
  // Another key's signature, or a tampered payload, fails.
  auto [other_priv, other_pub] = rsaKeyPair();
  EXPECT_FALSE(rs->verify(*signRs256(claims(2000), other_priv), 1000));
  std::string tampered = *token;
  tampered[tampered.find('.') + 2] ^= 1;
  EXPECT_FALSE(rs->verify(tampered, 1000));
  // An HS256 verifier does not take RS256 tokens, nor an RS256 one HS256 tokens.
  EXPECT_FALSE(JwtVerifier::create("key", "")->verify(*token, 1000));
  EXPECT_FALSE(rs->verify(signHs256(claims(2000), pub), 1000));
  EXPECT_FALSE(JwtVerifier::create("", "not a pem"));
}

}  // namespace
}  // namespace plateau::auth
