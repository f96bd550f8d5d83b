#include "controlplane/auth.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace switchboard::controlplane {
namespace {

TEST(AuthTest, LoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackListen("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopbackListen("127.1.2.3:0"));
  EXPECT_TRUE(IsLoopbackListen("localhost:50051"));
  EXPECT_TRUE(IsLoopbackListen("[::1]:50051"));
  EXPECT_FALSE(IsLoopbackListen("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopbackListen("[::]:50051"));
  EXPECT_FALSE(IsLoopbackListen("192.168.1.10:50051"));
  EXPECT_FALSE(IsLoopbackListen("127.example.com:1"));
  EXPECT_FALSE(IsLoopbackListen(":50051"));
}

TEST(AuthTest, PeerHost) {
  EXPECT_EQ(PeerHost("ipv4:127.0.0.1:41234"), "127.0.0.1");
  EXPECT_EQ(PeerHost("ipv6:[::1]:41234"), "::1");
  EXPECT_EQ(PeerHost("unix:/tmp/sock"), "unix:/tmp/sock");
}

TEST(AuthTest, TokenFromFileIsTrimmed) {
  std::string path = std::filesystem::temp_directory_path() / ("sb-token-" + std::to_string(::getpid()));
  {
    std::ofstream out(path);
    out << "  s3cret-token \n";
  }
  auto token = Token::Load(path, "SB_AUTH_TEST_UNSET");
  std::filesystem::remove(path);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_TRUE(token->configured());
  EXPECT_TRUE(token->SameAs(Token::FromValue("s3cret-token")));
}

TEST(AuthTest, TokenFromEnvironmentOrNone) {
  ::setenv("SB_AUTH_TEST_TOKEN", "from-env", 1);
  auto token = Token::Load("", "SB_AUTH_TEST_TOKEN");
  ::unsetenv("SB_AUTH_TEST_TOKEN");
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(token->SameAs(Token::FromValue("from-env")));
  auto none = Token::Load("", "SB_AUTH_TEST_TOKEN");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->configured());
}

TEST(AuthTest, MissingOrEmptyTokenFileIsAnError) {
  EXPECT_FALSE(Token::Load("/nonexistent/token", "X").ok());
  std::string path = std::filesystem::temp_directory_path() / ("sb-empty-token-" + std::to_string(::getpid()));
  { std::ofstream out(path); }
  auto token = Token::Load(path, "X");
  std::filesystem::remove(path);
  EXPECT_FALSE(token.ok());
}

}  // namespace
}  // namespace switchboard::controlplane
