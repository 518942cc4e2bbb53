#include "auth/key_file.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace plateau::auth {
namespace {

std::string writeFile(const std::string& name, const std::string& contents) {
  std::string path = ::testing::TempDir() + name + "." + std::to_string(::getpid());
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(KeyFileTest, ReadsTheKeyAsWrittenFromAPathOrAFileUrl) {
  std::string path = writeFile("key_file_test_key", "s3cret\n");
  auto key = readKeyFile("jwt_secret_key", path);
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(*key, "s3cret\n");
  auto url = readKeyFile("jwt_secret_key", "file://" + path);
  ASSERT_TRUE(url) << url.error().message();
  EXPECT_EQ(*url, "s3cret\n");
  std::remove(path.c_str());
}

TEST(KeyFileTest, AnEmptyOrMissingFileIsAnErrorNamingTheFlag) {
  std::string path = writeFile("key_file_test_empty", "");
  auto empty = readKeyFile("operator_jwt_secret_key", path);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.error().message(),
            "Flag '--operator_jwt_secret_key': the file '" + path + "' is empty");
  std::remove(path.c_str());
  auto missing = readKeyFile("jwt_secret_key", "/nonexistent/key");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("'--jwt_secret_key'"), std::string::npos);
}

}  // namespace
}  // namespace plateau::auth
