// The API port's path handling and client-key extraction (routes.h).

#include "dataplane/server/routes.h"

#include <string>

#include <gtest/gtest.h>

namespace switchboard::server {
namespace {

TEST(NormalizePathTest, CollapsesSlashesDropsQueryAndTrailingSlash) {
  EXPECT_EQ(NormalizePath("/v1//chat/completions"), "/v1/chat/completions");  // SillyTavern's base URL + "/"
  EXPECT_EQ(NormalizePath("/v1/models/?x=1"), "/v1/models");
  EXPECT_EQ(NormalizePath(""), "/");
  EXPECT_EQ(NormalizePath("///"), "/");
  EXPECT_EQ(NormalizePath("?only=query"), "/");
}

TEST(MatchRouteTest, WithAndWithoutV1) {
  std::string id;
  EXPECT_EQ(MatchRoute("/v1/chat/completions", &id), Route::kChat);
  EXPECT_EQ(MatchRoute("/chat/completions", &id), Route::kChat);
  EXPECT_EQ(MatchRoute("/v1/models", &id), Route::kModels);
  EXPECT_EQ(MatchRoute("/models/gpt-4o", &id), Route::kModel);
  EXPECT_EQ(id, "gpt-4o");
  EXPECT_EQ(MatchRoute("/v1/models/", &id), Route::kUnknown);
  EXPECT_EQ(MatchRoute("/v2/chat/completions", &id), Route::kUnknown);
}

TEST(MatchProfileRouteTest, ThePrefixItselfIsAChatEndpoint) {
  std::string id;
  EXPECT_EQ(MatchProfileRoute("", &id), Route::kChat);  // JanitorAI posts to the pasted URL
  EXPECT_EQ(MatchProfileRoute("/v1/chat/completions", &id), Route::kChat);
  EXPECT_EQ(MatchProfileRoute("/models", &id), Route::kModels);
}

TEST(PresentedClientKeyTest, BearerTokenFirstThenXApiKey) {
  EXPECT_EQ(PresentedClientKey("Bearer sk-one", "sk-two"), "sk-one");
  EXPECT_EQ(PresentedClientKey("bEaReR sk-one", ""), "sk-one");
  EXPECT_EQ(PresentedClientKey("", "sk-two"), "sk-two");
  EXPECT_EQ(PresentedClientKey("Bearer ", "sk-two"), "sk-two");  // no token
  EXPECT_EQ(PresentedClientKey("Basic dXNlcjpwYXNz", "sk-two"), "sk-two");
  EXPECT_EQ(PresentedClientKey("Bearer", ""), "");
}

}  // namespace
}  // namespace switchboard::server
