// Gemini responses -> OpenAI objects: non-streamed bodies, SSE events, errors.
// The fixtures follow the GenerateContentResponse shape in Google's API reference.

#include <gtest/gtest.h>

#include "dataplane/providers/gemini.h"

namespace switchboard::providers {
namespace {

using nlohmann::json;

RequestInfo Info(bool stream, bool include_usage = false) {
  RequestInfo info;
  info.requested_model = "my-gemini";
  info.stream = stream;
  info.include_usage = include_usage;
  info.id = "chatcmpl-abc";
  info.created = 1700000000;
  return info;
}

constexpr const char* kThinkingBody = R"({
  "candidates":[{"content":{"role":"model","parts":[
      {"text":"Let me think.","thought":true},{"text":"The answer "},{"text":"is 4."}]},
    "finishReason":"STOP","index":0}],
  "usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5,"thoughtsTokenCount":7,"totalTokenCount":22,
    "cachedContentTokenCount":3},
  "modelVersion":"gemini-2.5-flash","responseId":"r1"})";

TEST(GeminiResponse, NonStreamedCompletion) {
  auto translator = NewGeminiTranslator(Info(false));
  auto body = translator->TranslateBody(kThinkingBody);
  ASSERT_TRUE(body.ok()) << body.status();
  json expected = json::parse(R"({"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,
    "model":"my-gemini","choices":[{"index":0,"message":{"role":"assistant","content":"The answer is 4.",
    "reasoning_content":"Let me think."},"finish_reason":"stop"}],
    "usage":{"prompt_tokens":10,"completion_tokens":12,"total_tokens":22,
      "completion_tokens_details":{"reasoning_tokens":7},"prompt_tokens_details":{"cached_tokens":3}}})");
  EXPECT_EQ(json::parse(*body), expected);
  EXPECT_EQ(translator->usage().prompt_tokens, 10);
  EXPECT_EQ(translator->usage().completion_tokens, 12);
  EXPECT_EQ(translator->usage().total_tokens, 22);
}

TEST(GeminiResponse, SeveralCandidatesAndNoUsage) {
  auto translator = NewGeminiTranslator(Info(false));
  auto body = translator->TranslateBody(R"({"candidates":[
    {"content":{"parts":[{"text":"a"}]},"finishReason":"MAX_TOKENS","index":0},
    {"content":{"parts":[{"text":"b"}]},"finishReason":"SAFETY","index":1}]})");
  ASSERT_TRUE(body.ok());
  json out = json::parse(*body);
  ASSERT_EQ(out["choices"].size(), 2u);
  EXPECT_EQ(out["choices"][0]["message"]["content"], "a");
  EXPECT_EQ(out["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(out["choices"][1]["index"], 1);
  EXPECT_EQ(out["choices"][1]["finish_reason"], "content_filter");
  EXPECT_FALSE(out["choices"][0]["message"].contains("reasoning_content"));
  EXPECT_FALSE(out.contains("usage"));
  EXPECT_FALSE(translator->usage().known());
}

TEST(GeminiResponse, FinishReasons) {
  EXPECT_EQ(GeminiFinishReason("STOP"), "stop");
  EXPECT_EQ(GeminiFinishReason("MAX_TOKENS"), "length");
  for (const char* r : {"SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "RECITATION"}) {
    EXPECT_EQ(GeminiFinishReason(r), "content_filter") << r;
  }
  EXPECT_EQ(GeminiFinishReason("MALFORMED_FUNCTION_CALL"), "stop");
  EXPECT_EQ(GeminiFinishReason(""), "stop");
}

TEST(GeminiResponse, BlockedPromptIsInvalidArgument) {
  auto translator = NewGeminiTranslator(Info(false));
  auto body = translator->TranslateBody(
      R"({"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":8,"totalTokenCount":8}})");
  ASSERT_FALSE(body.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(body.status()));
  EXPECT_EQ(body.status().message(), "Gemini blocked the prompt: PROHIBITED_CONTENT");
}

TEST(GeminiResponse, GarbageIsNotInvalidArgument) {
  auto translator = NewGeminiTranslator(Info(false));
  auto body = translator->TranslateBody("<html>");
  ASSERT_FALSE(body.ok());
  EXPECT_FALSE(absl::IsInvalidArgument(body.status()));
  EXPECT_FALSE(absl::IsInvalidArgument(translator->TranslateBody(R"({"candidates":[]})").status()));
}

TEST(GeminiResponse, JsonListFromStreamWithoutAltSse) {
  auto translator = NewGeminiTranslator(Info(true));
  auto body = translator->TranslateBody(R"([{"candidates":[{"content":{"parts":[{"text":"Hel"}]}}]},
    {"candidates":[{"content":{"parts":[{"text":"lo"}]},"finishReason":"STOP"}],
     "usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":2,"totalTokenCount":4}}])");
  ASSERT_TRUE(body.ok());
  json out = json::parse(*body);
  EXPECT_EQ(out["choices"][0]["message"]["content"], "Hello");
  EXPECT_EQ(out["usage"]["total_tokens"], 4);
}

std::vector<json> Feed(ResponseTranslator& t, const std::vector<std::string>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) t.TranslateEvent(e, out);
  std::vector<json> parsed;
  for (const auto& p : out) parsed.push_back(json::parse(p));
  return parsed;
}

TEST(GeminiStream, ThoughtsContentFinishAndUsage) {
  auto translator = NewGeminiTranslator(Info(true, true));
  auto chunks = Feed(*translator, {
      R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Hmm.","thought":true}]},"index":0}],
          "usageMetadata":{"promptTokenCount":10,"thoughtsTokenCount":3,"totalTokenCount":13},"responseId":"r"})",
      R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Hello"}]},"index":0}]})",
      R"({"candidates":[{"content":{"role":"model","parts":[{"text":" world"}]},"finishReason":"STOP","index":0}],
          "usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":2,"thoughtsTokenCount":3,"totalTokenCount":15}})",
  });
  ASSERT_EQ(chunks.size(), 3u);
  for (const auto& c : chunks) {
    EXPECT_EQ(c["id"], "chatcmpl-abc");
    EXPECT_EQ(c["object"], "chat.completion.chunk");
    EXPECT_EQ(c["created"], 1700000000);
    EXPECT_EQ(c["model"], "my-gemini");
    EXPECT_EQ(c["choices"][0]["index"], 0);
  }
  EXPECT_EQ(chunks[0]["choices"][0]["delta"], json::parse(R"({"role":"assistant","reasoning_content":"Hmm."})"));
  EXPECT_TRUE(chunks[0]["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(chunks[1]["choices"][0]["delta"], json::parse(R"({"content":"Hello"})"));
  EXPECT_TRUE(chunks[1]["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(chunks[2]["choices"][0]["delta"], json::parse(R"({"content":" world"})"));
  EXPECT_EQ(chunks[2]["choices"][0]["finish_reason"], "stop");
  EXPECT_FALSE(translator->done());  // Gemini ends the stream by closing it

  std::vector<std::string> tail;
  translator->Finish(tail);
  ASSERT_EQ(tail.size(), 1u);
  json usage = json::parse(tail[0]);
  EXPECT_EQ(usage["choices"], json::array());
  EXPECT_EQ(usage["id"], "chatcmpl-abc");
  EXPECT_EQ(usage["usage"], json::parse(R"({"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,
    "completion_tokens_details":{"reasoning_tokens":3}})"));
  EXPECT_EQ(translator->usage().completion_tokens, 5);
}

TEST(GeminiStream, NoUsageChunkUnlessAsked) {
  auto translator = NewGeminiTranslator(Info(true, false));
  Feed(*translator, {R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"STOP"}],
    "usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1,"totalTokenCount":2}})"});
  std::vector<std::string> tail;
  translator->Finish(tail);
  EXPECT_TRUE(tail.empty());
  EXPECT_EQ(translator->usage().total_tokens, 2);  // still read for metrics
}

TEST(GeminiStream, SeveralCandidatesFinishOnlyOnce) {
  auto translator = NewGeminiTranslator(Info(true));
  auto chunks = Feed(*translator, {
      R"({"candidates":[{"content":{"parts":[{"text":"a"}]},"index":0},{"content":{"parts":[{"text":"b"}]},"index":1}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"a2"}]},"finishReason":"MAX_TOKENS","index":0},
                        {"content":{"parts":[{"text":"b2"}]},"index":1}]})",
      R"({"candidates":[{"content":{"parts":[]},"finishReason":"STOP","index":1}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"late"}]},"finishReason":"STOP","index":0}]})",
  });
  ASSERT_EQ(chunks.size(), 5u);
  EXPECT_EQ(chunks[0]["choices"][0]["index"], 0);
  EXPECT_EQ(chunks[0]["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(chunks[1]["choices"][0]["index"], 1);
  EXPECT_EQ(chunks[1]["choices"][0]["delta"]["content"], "b");
  EXPECT_EQ(chunks[1]["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(chunks[2]["choices"][0]["finish_reason"], "length");
  EXPECT_FALSE(chunks[3]["choices"][0]["delta"].contains("role"));
  EXPECT_TRUE(chunks[3]["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(chunks[4]["choices"][0]["index"], 1);
  EXPECT_EQ(chunks[4]["choices"][0]["delta"], json::object());
  EXPECT_EQ(chunks[4]["choices"][0]["finish_reason"], "stop");
}

TEST(GeminiStream, BlockedPromptBecomesAnErrorPayload) {
  auto translator = NewGeminiTranslator(Info(true));
  auto chunks = Feed(*translator, {R"({"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}})",
                                   R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}]})"});
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0]["error"]["message"], "Gemini blocked the prompt: PROHIBITED_CONTENT");
  EXPECT_EQ(chunks[0]["error"]["code"], "prompt_blocked");
  EXPECT_TRUE(translator->done());
}

TEST(GeminiStream, ErrorEventAndJunk) {
  auto translator = NewGeminiTranslator(Info(true));
  auto chunks = Feed(*translator, {"not json", "[1,2]",
                                   R"({"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}})"});
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0]["error"]["message"], "The model is overloaded.");
  EXPECT_EQ(chunks[0]["error"]["code"], "UNAVAILABLE");
  EXPECT_TRUE(translator->done());
}

TEST(GeminiError, KeepsStatusAndUsesGeminiStatusAsCode) {
  auto translator = NewGeminiTranslator(Info(false));
  ClientError e = translator->TranslateError(
      429, R"({"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}})");
  EXPECT_EQ(e.status, 429);
  EXPECT_EQ(e.message, "Resource has been exhausted (e.g. check quota).");
  EXPECT_EQ(e.code, "RESOURCE_EXHAUSTED");
  EXPECT_EQ(e.type, "rate_limit_error");

  ClientError listed = translator->TranslateError(
      400, R"([{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}])");
  EXPECT_EQ(listed.status, 400);
  EXPECT_EQ(listed.message, "API key not valid.");
  EXPECT_EQ(listed.code, "INVALID_ARGUMENT");

  ClientError plain = translator->TranslateError(500, "oops");
  EXPECT_EQ(plain.status, 500);
  EXPECT_EQ(plain.type, "upstream_error");
}

}  // namespace
}  // namespace switchboard::providers
