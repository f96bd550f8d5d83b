#include "common/url.h"

#include <gtest/gtest.h>

namespace switchboard {
namespace {

TEST(ParseUrl, HttpsDefaults) {
  auto url = ParseUrl("https://api.openai.com/v1/chat/completions");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "api.openai.com");
  EXPECT_EQ(url->port, "443");
  EXPECT_EQ(url->target, "/v1/chat/completions");
  EXPECT_EQ(url->host_header, "api.openai.com");
  EXPECT_EQ(url->origin, "https://api.openai.com:443");
}

TEST(ParseUrl, PlainWithPortQueryAndNoPath) {
  auto url = ParseUrl("http://127.0.0.1:8080?x=1");
  ASSERT_TRUE(url.ok());
  EXPECT_FALSE(url->tls);
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->target, "/?x=1");
  EXPECT_EQ(url->host_header, "127.0.0.1:8080");
}

TEST(ParseUrl, Ipv6) {
  auto url = ParseUrl("http://[::1]:11434/v1/chat/completions");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->host_header, "[::1]:11434");
}

TEST(ParseUrl, Rejects) {
  EXPECT_FALSE(ParseUrl("ftp://x").ok());
  EXPECT_FALSE(ParseUrl("https://").ok());
  EXPECT_FALSE(ParseUrl("https://user:secret@host/").ok());
  EXPECT_FALSE(ParseUrl("http://host:99999/").ok());
  EXPECT_FALSE(ParseUrl("http://host:12ab/").ok());
}

}  // namespace
}  // namespace switchboard
