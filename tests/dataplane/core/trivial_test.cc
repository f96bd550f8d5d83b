#include "dataplane/providers/trivial.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace switchboard::providers {
namespace {

using nlohmann::json;

TrivialResponse Make() {
  TrivialResponse r;
  r.id = "chatcmpl-1";
  r.model = "demo";
  r.created = 1700000000;
  r.output = "Hello there, general Kenobi. You are a bold one.";
  r.prompt_tokens = 7;
  return r;
}

TEST(Trivial, CompletionBody) {
  json body = json::parse(TrivialCompletionBody(Make()));
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "demo");
  EXPECT_EQ(body["choices"][0]["message"]["content"], Make().output);
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(body["usage"]["prompt_tokens"], 7);
  EXPECT_EQ(body["usage"]["total_tokens"].get<int>(),
            7 + body["usage"]["completion_tokens"].get<int>());
}

TEST(Trivial, ChunksConcatenateToOutputAndEndWithStop) {
  auto chunks = TrivialChunks(Make(), false);
  ASSERT_GE(chunks.size(), 4u);
  std::string text;
  for (size_t i = 0; i < chunks.size(); ++i) {
    json c = json::parse(chunks[i]);
    EXPECT_EQ(c["object"], "chat.completion.chunk");
    EXPECT_EQ(c["id"], "chatcmpl-1");
    const auto& choice = c["choices"][0];
    if (choice["delta"].contains("content")) text += choice["delta"]["content"].get<std::string>();
    if (i + 1 < chunks.size()) {
      EXPECT_TRUE(choice["finish_reason"].is_null());
    }
  }
  EXPECT_EQ(text, Make().output);
  EXPECT_EQ(json::parse(chunks.back())["choices"][0]["finish_reason"], "stop");
}

TEST(Trivial, UsageChunkOnlyWhenAsked) {
  auto with = TrivialChunks(Make(), true);
  auto without = TrivialChunks(Make(), false);
  EXPECT_EQ(with.size(), without.size() + 1);
  json usage = json::parse(with.back());
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_GT(usage["usage"]["completion_tokens"].get<int>(), 0);
}

TEST(Trivial, EstimateTokens) {
  EXPECT_EQ(EstimateTokens(""), 0);
  EXPECT_GE(EstimateTokens("one two three"), 3);
}

}  // namespace
}  // namespace switchboard::providers
