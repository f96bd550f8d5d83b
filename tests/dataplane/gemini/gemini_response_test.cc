// Gemini responses -> OpenAI objects: non-streamed bodies, SSE events, errors.
// The fixtures follow the GenerateContentResponse shape in Google's API reference.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/json_write.h"
#include "dataplane/providers/gemini.h"
#include "dataplane/providers/prefill.h"

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

// The answer is written straight, not built as a tree: it must be the very
// bytes nlohmann's tree of the same answer dumps to, with and without usage
// and its details.
TEST(GeminiResponse, BodiesAreWhatTheTreeWouldWrite) {
  RequestInfo info = Info(false);
  info.id = "chatcmpl-\"q\"\\";
  info.requested_model = "gem\u00e9\x02";
  auto expected = [&](json choices, json usage) {
    json out = {{"id", info.id},
                {"object", "chat.completion"},
                {"created", info.created},
                {"model", info.requested_model},
                {"choices", std::move(choices)}};
    if (!usage.is_null()) out["usage"] = std::move(usage);
    return DumpJson(out);
  };
  auto choice = [](int index, json message, const char* finish) {
    return json{{"index", index}, {"message", std::move(message)}, {"finish_reason", finish}};
  };

  auto with_details = NewGeminiTranslator(info)->TranslateBody(kThinkingBody);
  ASSERT_TRUE(with_details.ok()) << with_details.status();
  EXPECT_EQ(*with_details,
            expected(json::array({choice(0,
                                         {{"role", "assistant"},
                                          {"content", "The answer is 4."},
                                          {"reasoning_content", "Let me think."}},
                                         "stop")}),
                     {{"prompt_tokens", 10},
                      {"completion_tokens", 12},
                      {"total_tokens", 22},
                      {"completion_tokens_details", {{"reasoning_tokens", 7}}},
                      {"prompt_tokens_details", {{"cached_tokens", 3}}}}));

  auto two = NewGeminiTranslator(info)->TranslateBody(R"({"candidates":[
    {"content":{"parts":[{"text":"caf\u00e9 \"\n\u0001 \ud83d\ude00"}]},"finishReason":"MAX_TOKENS","index":3},
    {"content":{"parts":[]},"finishReason":"SAFETY","index":1}],
    "usageMetadata":{"promptTokenCount":4,"totalTokenCount":9}})");
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(*two, expected(json::array({choice(1, {{"role", "assistant"}, {"content", ""}}, "content_filter"),
                                        choice(3,
                                               {{"role", "assistant"},
                                                {"content", "caf\u00e9 \"\n\x01 \U0001F600"}},
                                               "length")}),
                           {{"prompt_tokens", 4}, {"completion_tokens", 0}, {"total_tokens", 9}}));

  auto no_usage = NewGeminiTranslator(info)->TranslateBody(R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}]})");
  ASSERT_TRUE(no_usage.ok()) << no_usage.status();
  EXPECT_EQ(*no_usage, expected(json::array({choice(0, {{"role", "assistant"}, {"content", "a"}}, "stop")}), nullptr));

  // The usage chunk at the end of a stream, likewise.
  RequestInfo streamed = info;
  streamed.stream = streamed.include_usage = true;
  auto translator = NewGeminiTranslator(streamed);
  std::vector<std::string> out;
  translator->TranslateEvent(R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}],
      "usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":1,"thoughtsTokenCount":4,"totalTokenCount":7}})", out);
  translator->Finish(out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], DumpJson(json{{"id", info.id},
                                  {"object", "chat.completion.chunk"},
                                  {"created", info.created},
                                  {"model", info.requested_model},
                                  {"choices", json::array()},
                                  {"usage",
                                   {{"prompt_tokens", 2},
                                    {"completion_tokens", 5},
                                    {"total_tokens", 7},
                                    {"completion_tokens_details", {{"reasoning_tokens", 4}}}}}}));
}

// A whole answer simdjson refuses (an integer beyond 64 bits) is read as
// nlohmann writes it back; one nobody reads is not JSON.
TEST(GeminiResponse, AnswersSimdjsonRefusesAreRead) {
  auto body = NewGeminiTranslator(Info(false))->TranslateBody(
      R"({"candidates":[{"content":{"parts":[{"text":"big"}]},"index":0,"tokenCount":1000000000000000000000}],
          "usageMetadata":{"promptTokenCount":1000000000000000000000,"candidatesTokenCount":2,"totalTokenCount":9}})");
  ASSERT_TRUE(body.ok()) << body.status();
  json out = json::parse(*body);
  EXPECT_EQ(out["choices"][0]["message"]["content"], "big");
  EXPECT_EQ(out["usage"], json::parse(R"({"prompt_tokens":0,"completion_tokens":2,"total_tokens":9})"));

  auto broken = NewGeminiTranslator(Info(false))->TranslateBody(R"({"candidates":[{"content":)");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().message(), "Gemini sent a response that is not JSON");
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

// The chunks are written straight, not built as a tree: each must be the very
// bytes nlohmann's tree of the same chunk dumps to (sorted keys, the same
// escapes, U+FFFD for nothing since the input is valid JSON).
TEST(GeminiStream, ChunksAreWhatTheTreeWouldWrite) {
  RequestInfo info = Info(true);
  info.id = "chatcmpl-\"quoted\"\\";
  info.requested_model = "gemini/\u00e9\n\x01";
  auto translator = NewGeminiTranslator(info);
  std::vector<std::string> out;
  const std::vector<std::string> events = {
      R"({"candidates":[{"content":{"parts":[{"text":"Hm \"so\"\n\\ \u0001\t","thought":true}]},"index":0},
                        {"content":{"parts":[{"text":"caf\u00e9 \ud83d\ude00 </script>"}]},"index":1}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"a"},{"text":"b","thought":true},{"text":"c"}]},"index":0}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"MAX_TOKENS","index":1},
                        {"content":{"parts":[]},"finishReason":"SAFETY","index":0}]})",
      R"({"candidates":[{"content":{"parts":[{"text":"late"}]},"finishReason":"STOP","index":7}]})",
  };
  for (const auto& e : events) translator->TranslateEvent(e, out);

  auto chunk = [&](int index, json delta, json finish) {
    return DumpJson(json{{"id", info.id},
                         {"object", "chat.completion.chunk"},
                         {"created", info.created},
                         {"model", info.requested_model},
                         {"choices", json::array({{{"index", index},
                                                   {"delta", std::move(delta)},
                                                   {"finish_reason", std::move(finish)}}})}});
  };
  const std::vector<std::string> expected = {
      chunk(0, {{"role", "assistant"}, {"reasoning_content", "Hm \"so\"\n\\ \x01\t"}}, nullptr),
      chunk(1, {{"role", "assistant"}, {"content", "caf\u00e9 \U0001F600 </script>"}}, nullptr),
      chunk(0, {{"content", "ac"}, {"reasoning_content", "b"}}, nullptr),
      chunk(1, {{"content", "x"}}, "length"),
      chunk(0, json::object(), "content_filter"),
      chunk(7, {{"role", "assistant"}, {"content", "late"}}, "stop"),
  };
  ASSERT_EQ(out.size(), expected.size());
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i], expected[i]) << "chunk " << i;
}

// Events are read from simdjson's document; one simdjson refuses (an integer
// beyond 64 bits) is read as nlohmann writes it back (the integer as a
// double). Both must say the same.
TEST(GeminiStream, EventsSimdjsonRefusesSayTheSame) {
  auto fast = NewGeminiTranslator(Info(true, true));
  auto tree = NewGeminiTranslator(Info(true, true));
  std::vector<std::string> fast_out, tree_out;
  fast->TranslateEvent(R"({"candidates":[{"content":{"parts":[{"text":"big"}]},"index":0}],
      "usageMetadata":{"promptTokenCount":-3,"totalTokenCount":5}})", fast_out);
  tree->TranslateEvent(R"({"candidates":[{"content":{"parts":[{"text":"big"}]},"index":0}],
      "usageMetadata":{"promptTokenCount":100000000000000000000000,"totalTokenCount":5}})", tree_out);
  fast->Finish(fast_out);
  tree->Finish(tree_out);
  ASSERT_EQ(fast_out.size(), 2u);
  EXPECT_EQ(fast_out, tree_out);
  EXPECT_EQ(json::parse(fast_out[1])["usage"], json::parse(R"({"prompt_tokens":0,"completion_tokens":0,"total_tokens":5})"));
}

// A repeated key counts with its last value, as in nlohmann's tree; a value of
// the wrong type is as good as none.
TEST(GeminiStream, RepeatedKeysCountWithTheirLastValue) {
  auto translator = NewGeminiTranslator(Info(true));
  auto chunks = Feed(*translator, {
      R"({"candidates":[{"index":3,"index":"x","content":{"parts":[{"text":"a","text":"b","thought":true,"thought":0}]},
                         "finishReason":"STOP","finishReason":7}],
          "candidates":[{"index":2,"content":{"parts":[{"text":"c"}]},"content":{"parts":[{"text":"d"}]}}]})",
  });
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0]["choices"][0]["index"], 2);
  EXPECT_EQ(chunks[0]["choices"][0]["delta"], json::parse(R"({"role":"assistant","content":"d"})"));
  auto again = Feed(*NewGeminiTranslator(Info(true)), {
      R"({"candidates":[{"index":3,"index":"x","content":{"parts":[{"text":"a","text":"b","thought":true,"thought":0}]},
                         "finishReason":"STOP","finishReason":7}]})",
  });
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0]["choices"][0]["index"], 0);
  EXPECT_EQ(again[0]["choices"][0]["delta"], json::parse(R"({"role":"assistant","content":"b"})"));
  EXPECT_TRUE(again[0]["choices"][0]["finish_reason"].is_null());
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


TEST(GeminiResponse, UnknownFinishReasonIsStopAndNotedForTheLog) {
  auto translator = NewGeminiTranslator(Info(false));
  auto body = translator->TranslateBody(R"({"candidates":[
    {"content":{"parts":[{"text":"a"}]},"finishReason":"LANGUAGE","index":0},
    {"content":{"parts":[{"text":"b"}]},"finishReason":"LANGUAGE","index":1},
    {"content":{"parts":[{"text":"c"}]},"finishReason":"STOP","index":2}]})");
  ASSERT_TRUE(body.ok());
  json out = json::parse(*body);
  EXPECT_EQ(out["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(out["choices"][1]["finish_reason"], "stop");
  EXPECT_EQ(out["choices"][2]["finish_reason"], "stop");
  // Once per reason, and nothing about the reasons that map.
  EXPECT_EQ(translator->warnings(),
            std::vector<std::string>{"Gemini finishReason 'LANGUAGE' has no OpenAI equivalent; sent as finish_reason 'stop'"});

  auto mapped = NewGeminiTranslator(Info(false));
  ASSERT_TRUE(mapped->TranslateBody(R"({"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"MAX_TOKENS"}]})").ok());
  EXPECT_TRUE(mapped->warnings().empty());
  EXPECT_TRUE(IsMappedGeminiFinishReason("RECITATION"));
  EXPECT_FALSE(IsMappedGeminiFinishReason("MALFORMED_FUNCTION_CALL"));
}

TEST(GeminiStream, UnknownFinishReasonIsStopAndNoted) {
  auto translator = NewGeminiTranslator(Info(true));
  auto chunks = Feed(*translator, {
      R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"index":0}]})",
      R"({"candidates":[{"content":{"parts":[]},"finishReason":"MALFORMED_FUNCTION_CALL","index":0}]})",
  });
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_TRUE(chunks[0]["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(chunks[1]["choices"][0]["finish_reason"], "stop");
  ASSERT_EQ(translator->warnings().size(), 1u);
  EXPECT_EQ(translator->warnings()[0],
            "Gemini finishReason 'MALFORMED_FUNCTION_CALL' has no OpenAI equivalent; sent as finish_reason 'stop'");
}

TEST(GeminiResponse, ResponseBlockedMidwayIsContentFilter) {
  auto translator = NewGeminiTranslator(Info(false));
  auto body = translator->TranslateBody(R"({"candidates":[{"finishReason":"PROHIBITED_CONTENT","index":0,
    "safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"HIGH","blocked":true}]}],
    "usageMetadata":{"promptTokenCount":9,"totalTokenCount":9}})");
  ASSERT_TRUE(body.ok()) << body.status();
  json out = json::parse(*body);
  EXPECT_EQ(out["choices"][0]["message"], json::parse(R"({"role":"assistant","content":""})"));
  EXPECT_EQ(out["choices"][0]["finish_reason"], "content_filter");

  auto stream = NewGeminiTranslator(Info(true));
  auto chunks = Feed(*stream, {R"({"candidates":[{"content":{"parts":[{"text":"Once upon"}]},"index":0}]})",
                               R"({"candidates":[{"finishReason":"SAFETY","index":0}]})"});
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[1]["choices"][0]["delta"], json::object());
  EXPECT_EQ(chunks[1]["choices"][0]["finish_reason"], "content_filter");
}

TEST(GeminiResponse, ThoughtsAreFlaggedPartsNotSignatures) {
  auto translator = NewGeminiTranslator(Info(false));
  auto body = translator->TranslateBody(R"({"candidates":[{"content":{"role":"model","parts":[
    {"text":"**Planning** the reply","thought":true,"thoughtSignature":"c2lnMQ=="},
    {"text":"Visible answer.","thoughtSignature":"c2lnMg=="},
    {"text":" More.","thought":false}]},"finishReason":"STOP"}]})");
  ASSERT_TRUE(body.ok());
  json message = json::parse(*body)["choices"][0]["message"];
  EXPECT_EQ(message["content"], "Visible answer. More.");
  EXPECT_EQ(message["reasoning_content"], "**Planning** the reply");
}

TEST(GeminiResponse, UsageWhenThoughtsAreAlreadyInCandidates) {
  // Some Gemini-compatible servers count thoughts inside candidatesTokenCount:
  // the total says so, and they are not added twice.
  auto translator = NewGeminiTranslator(Info(false));
  auto body = translator->TranslateBody(R"({"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}],
    "usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":12,"thoughtsTokenCount":7,"totalTokenCount":22}})");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(json::parse(*body)["usage"], json::parse(R"({"prompt_tokens":10,"completion_tokens":12,"total_tokens":22,
    "completion_tokens_details":{"reasoning_tokens":7}})"));
  EXPECT_EQ(translator->usage().completion_tokens, 12);
}

TEST(GeminiResponse, UsageWithCachedTokensOnly) {
  auto translator = NewGeminiTranslator(Info(false));
  auto body = translator->TranslateBody(R"({"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}],
    "usageMetadata":{"promptTokenCount":4000,"cachedContentTokenCount":3500,"candidatesTokenCount":20,
    "totalTokenCount":4020}})");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(json::parse(*body)["usage"], json::parse(R"({"prompt_tokens":4000,"completion_tokens":20,
    "total_tokens":4020,"prompt_tokens_details":{"cached_tokens":3500}})"));
}

TEST(GeminiStream, EveryChunkSharesIdCreatedAndModel) {
  auto translator = NewGeminiTranslator(Info(true, true));
  std::vector<std::string> out;
  for (const char* event : {
           R"({"candidates":[{"content":{"parts":[{"text":"a","thought":true}]},"index":0},
                             {"content":{"parts":[{"text":"b"}]},"index":1}],"responseId":"gemini-own-id"})",
           R"({"candidates":[{"content":{"parts":[{"text":"a2"}]},"finishReason":"STOP","index":0},
                             {"content":{"parts":[{"text":"b2"}]},"finishReason":"MAX_TOKENS","index":1}],
               "usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":4,"totalTokenCount":7},
               "modelVersion":"gemini-2.5-flash-001"})"}) {
    translator->TranslateEvent(event, out);
  }
  translator->Finish(out);
  ASSERT_EQ(out.size(), 5u);  // two choices x two events, then usage
  for (const auto& payload : out) {
    json chunk = json::parse(payload);
    EXPECT_EQ(chunk["id"], "chatcmpl-abc") << payload;
    EXPECT_EQ(chunk["created"], 1700000000) << payload;
    EXPECT_EQ(chunk["model"], "my-gemini") << payload;  // the name asked for, never modelVersion
    EXPECT_EQ(chunk["object"], "chat.completion.chunk") << payload;
  }
  json last = json::parse(out.back());
  EXPECT_EQ(last["choices"], json::array());
  EXPECT_EQ(last["usage"]["total_tokens"], 7);
  EXPECT_EQ(json::parse(out[2])["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(json::parse(out[3])["choices"][0]["index"], 1);
  EXPECT_EQ(json::parse(out[3])["choices"][0]["finish_reason"], "length");
}

TEST(GeminiStream, NoUsageChunkAfterAnError) {
  auto blocked = NewGeminiTranslator(Info(true, true));
  auto chunks = Feed(*blocked, {R"({"promptFeedback":{"blockReason":"OTHER"},
    "usageMetadata":{"promptTokenCount":12,"totalTokenCount":12}})"});
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0]["error"]["message"], "Gemini blocked the prompt: OTHER");
  std::vector<std::string> tail;
  blocked->Finish(tail);
  EXPECT_TRUE(tail.empty());
  EXPECT_EQ(blocked->usage().prompt_tokens, 12);  // still counted

  auto failed = NewGeminiTranslator(Info(true, true));
  Feed(*failed, {R"({"candidates":[{"content":{"parts":[{"text":"x"}]}}],
                     "usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1,"totalTokenCount":2}})",
                 R"({"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}})"});
  EXPECT_TRUE(failed->done());
  tail.clear();
  failed->Finish(tail);
  EXPECT_TRUE(tail.empty());
}

TEST(GeminiStream, DoneFromAProxyEndsTheStream) {
  auto translator = NewGeminiTranslator(Info(true));
  auto chunks = Feed(*translator, {R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"STOP"}]})",
                                   "[DONE]", R"({"candidates":[{"content":{"parts":[{"text":"late"}]}}]})"});
  EXPECT_EQ(chunks.size(), 1u);
  EXPECT_TRUE(translator->done());
}

TEST(GeminiError, EveryStatusKeepsItsNumberMessageAndStatus) {
  struct Case {
    int status;
    const char* gemini_status;
    const char* message;
    const char* type;
  };
  for (const Case& c : {Case{400, "INVALID_ARGUMENT", "Request contains an invalid argument.", "invalid_request_error"},
                        Case{403, "PERMISSION_DENIED", "Permission denied: Consumer has been suspended.",
                             "invalid_request_error"},
                        Case{429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.", "rate_limit_error"},
                        Case{500, "INTERNAL", "An internal error has occurred.", "upstream_error"},
                        Case{503, "UNAVAILABLE", "The model is overloaded. Please try again later.", "upstream_error"}}) {
    json gemini = {{"error", {{"code", c.status}, {"message", c.message}, {"status", c.gemini_status}}}};
    auto translator = NewGeminiTranslator(Info(false));
    ClientError e = translator->TranslateError(c.status, gemini.dump());
    EXPECT_EQ(e.status, c.status);
    EXPECT_EQ(e.message, c.message);
    EXPECT_EQ(e.code, c.gemini_status);
    EXPECT_EQ(e.type, c.type) << c.status;
    // What the client reads.
    json body = json::parse(ErrorBody(e));
    EXPECT_EQ(body["error"]["message"], c.message);
    EXPECT_EQ(body["error"]["code"], c.gemini_status);
  }
}

TEST(GeminiResponse, PrefillStrippingKeepsTheWarnings) {
  auto translator = NewPrefillStrippingTranslator(NewGeminiTranslator(Info(false)), "Sure,");
  auto body = translator->TranslateBody(
      R"({"candidates":[{"content":{"parts":[{"text":"Sure, here it is."}]},"finishReason":"OTHER"}]})");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(json::parse(*body)["choices"][0]["message"]["content"], "here it is.");
  ASSERT_EQ(translator->warnings().size(), 1u);
  EXPECT_NE(translator->warnings()[0].find("'OTHER'"), std::string::npos);
}

}  // namespace
}  // namespace switchboard::providers
