#include "dataplane/providers/openai_compat.h"

#include <gtest/gtest.h>

namespace switchboard::providers {
namespace {

using nlohmann::json;

Target MakeTarget() {
  Target t;
  t.url = *ParseUrl("http://127.0.0.1:9/v1/chat/completions");
  t.model_name = "upstream-model";
  return t;
}

std::string Header(const UpstreamRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

RequestInfo Info(bool stream, bool include_usage) {
  RequestInfo info;
  info.requested_model = "mine";
  info.stream = stream;
  info.include_usage = include_usage;
  return info;
}

TEST(NormalizeOpenAiUrl, FireRouterRules) {
  EXPECT_EQ(NormalizeOpenAiUrl("https://x/v1/chat/completions"), "https://x/v1/chat/completions");
  EXPECT_EQ(NormalizeOpenAiUrl("https://x/v1/chat/completions/"), "https://x/v1/chat/completions");
  EXPECT_EQ(NormalizeOpenAiUrl("https://x/v1"), "https://x/v1/chat/completions");
  EXPECT_EQ(NormalizeOpenAiUrl("https://x/v1/"), "https://x/v1/chat/completions");
  EXPECT_EQ(NormalizeOpenAiUrl("https://x/api/generate"), "https://x/api/generate");
}

TEST(OpenAiCompatAdapter, ReplacesOnlyModelAndPassesEveryOtherField) {
  json client = json::parse(R"({"model":"mine","messages":[{"role":"user","content":"hi"}],"temperature":0.5,
    "top_k":40,"min_p":0.1,"repetition_penalty":1.1,"reasoning_effort":"low","unknown":{"a":[1,2]},"stream":true})");
  OpenAiCompatAdapter adapter;
  auto req = adapter.BuildRequest(MakeTarget(), client, "sk-secret");
  ASSERT_TRUE(req.ok());
  json sent = json::parse(req->body);
  json expected = client;
  expected["model"] = "upstream-model";
  expected["stream_options"] = {{"include_usage", true}};  // asked for our metrics
  EXPECT_EQ(sent, expected);
  EXPECT_EQ(Header(*req, "Authorization"), "Bearer sk-secret");
  EXPECT_EQ(Header(*req, "Accept"), "text/event-stream");
  EXPECT_EQ(req->url.target, "/v1/chat/completions");
}

TEST(OpenAiCompatAdapter, NoKeyNoAuthorization) {
  OpenAiCompatAdapter adapter;
  auto req = adapter.BuildRequest(MakeTarget(), json{{"model", "m"}, {"messages", json::array()}}, "");
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(Header(*req, "Authorization"), "<absent>");
  EXPECT_EQ(Header(*req, "Accept"), "application/json");
}

TEST(OpenAiCompatAdapter, StreamKeepsTheClientsStreamOptions) {
  OpenAiCompatAdapter adapter;
  json client = {{"model", "m"}, {"messages", json::array()}, {"stream", true},
                 {"stream_options", {{"include_usage", false}, {"other", 1}}}};
  auto req = adapter.BuildRequest(MakeTarget(), client, "");
  ASSERT_TRUE(req.ok());
  json sent = json::parse(req->body);
  EXPECT_EQ(sent["stream_options"], (json{{"include_usage", true}, {"other", 1}}));
  auto plain = adapter.BuildRequest(MakeTarget(), json{{"model", "m"}, {"messages", json::array()}}, "");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(json::parse(plain->body).contains("stream_options"));
}

TEST(OpenAiCompatTranslator, DropsTheUsageChunkTheClientDidNotAskFor) {
  OpenAiCompatAdapter adapter;
  auto t = adapter.NewTranslator(Info(true, false));
  std::vector<std::string> out;
  t->TranslateEvent(R"({"choices":[{"delta":{"content":"a"}}]})", out);
  t->TranslateEvent(R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}})", out);
  t->TranslateEvent("[DONE]", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], R"({"choices":[{"delta":{"content":"a"}}]})");
  EXPECT_EQ(t->usage().completion_tokens, 5);  // still counted
}

TEST(OpenAiCompatTranslator, PassesEventsReadsUsageAndDone) {
  OpenAiCompatAdapter adapter;
  auto t = adapter.NewTranslator(Info(true, true));
  std::vector<std::string> out;
  t->TranslateEvent(R"({"choices":[{"delta":{"content":"a"}}]})", out);
  t->TranslateEvent(R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}})", out);
  EXPECT_FALSE(t->done());
  t->TranslateEvent("[DONE]", out);
  EXPECT_TRUE(t->done());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(t->usage().total_tokens, 8);
  EXPECT_EQ(t->usage().prompt_tokens, 3);
}

TEST(OpenAiCompatTranslator, BodiesAreCheckedToBeJsonAndPassedAsTheyCame) {
  auto t = OpenAiCompatAdapter().NewTranslator(Info(false, false));
  std::string body = R"({"choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":4,"total_tokens":6}})";
  auto out = t->TranslateBody(body);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, body);
  EXPECT_EQ(t->usage().prompt_tokens, 4);
  EXPECT_EQ(t->usage().total_tokens, 6);

  // An integer beyond 64 bits is JSON all the same (nlohmann decides those).
  std::string big = R"({"choices":[],"seed":123456789012345678901234567890})";
  auto big_out = OpenAiCompatAdapter().NewTranslator(Info(false, false))->TranslateBody(big);
  ASSERT_TRUE(big_out.ok());
  EXPECT_EQ(*big_out, big);

  EXPECT_FALSE(OpenAiCompatAdapter().NewTranslator(Info(false, false))->TranslateBody("<html>oops</html>").ok());
  EXPECT_FALSE(OpenAiCompatAdapter().NewTranslator(Info(false, false))->TranslateBody(R"({"a":1)").ok());
}

TEST(OpenAiCompatTranslator, AnEventThatIsNotJsonEndsTheStreamWithAnError) {
  auto t = OpenAiCompatAdapter().NewTranslator(Info(true, false));
  std::vector<std::string> out;
  t->TranslateEvent(R"({"choices":[{"delta":{"content":"a"}}]})", out);
  t->TranslateEvent("{not json", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], R"({"choices":[{"delta":{"content":"a"}}]})");
  EXPECT_EQ(json::parse(out[1])["error"]["code"], "upstream_bad_event");
  EXPECT_TRUE(t->done());
}

TEST(OpenAiCompatTranslator, ErrorKeepsStatusAndMessage) {
  OpenAiCompatAdapter adapter;
  auto t = adapter.NewTranslator(Info(false, false));
  auto e = t->TranslateError(429, R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit"}})");
  EXPECT_EQ(e.status, 429);
  EXPECT_EQ(e.message, "Rate limit reached");
  EXPECT_EQ(e.type, "requests");
  EXPECT_EQ(e.code, "rate_limit");
  auto plain = t->TranslateError(502, "<html>Bad gateway</html>");
  EXPECT_EQ(plain.status, 502);
  EXPECT_NE(plain.message.find("Bad gateway"), std::string::npos);
  EXPECT_EQ(plain.type, "upstream_error");
}

TEST(ErrorBody, OpenAiShape) {
  json body = json::parse(ErrorBody(InvalidRequest("missing_model", "need a model", "model")));
  EXPECT_EQ(body["error"]["message"], "need a model");
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_EQ(body["error"]["code"], "missing_model");
  EXPECT_EQ(body["error"]["param"], "model");
}

}  // namespace
}  // namespace switchboard::providers
