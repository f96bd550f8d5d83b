// The gemini provider end to end: the real data plane against a fake Gemini that
// speaks generateContent / streamGenerateContent?alt=sse (no [DONE], events
// split across writes, thoughts), as a client sees it.

#include <string>
#include <vector>

#include "tests/integration/dataplane_fixture.h"

namespace switchboard::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using GeminiTest = DataPlaneTest;

constexpr const char* kGoogleKey = "AIza-test-key";

std::string GeminiConfig(const FakeUpstream& upstream) {
  ConfigOptions options;
  options.extra_providers = "  gem: {type: gemini, url: \"http://" + upstream.host_port() +
                            "\", modelName: gemini-2.5-flash}\n";
  std::string yaml = StandardConfig(upstream, options);
  // A second key provider for the gemini model.
  std::string key_line = std::string("  g1: {type: literal, key: ") + kGoogleKey + ", modelTargets: [\"^gem\"]}\n";
  yaml.insert(yaml.find("modelProviders:\n"), key_line);
  return yaml;
}

void ExpectKeyInHeaderOnly(const RecordedRequest& request) {
  EXPECT_EQ(request.Header("x-goog-api-key").value_or(""), kGoogleKey);
  EXPECT_EQ(request.target.find("key="), std::string::npos) << request.target;
  EXPECT_FALSE(request.Header("authorization").has_value());
}

TEST_F(GeminiTest, StreamWithThoughtsSplitAcrossWrites) {
  ASSERT_NO_FATAL_FAILURE(Start(GeminiConfig(upstream_)));
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    std::string events =
        SseEvent(R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Thinking...","thought":true}]},"index":0}]})") +
        SseEvent(R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Hello"}]},"index":0}]})") +
        SseEvent(R"({"candidates":[{"content":{"role":"model","parts":[{"text":" there"}]},"finishReason":"STOP","index":0}],)"
                 R"("usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":2,"thoughtsTokenCount":3,"totalTokenCount":9}})");
    writer.StartStream(200, {{"Content-Type", "text/event-stream"}});
    // Split at awkward places, including inside an event and its JSON.
    for (size_t at = 0; at < events.size(); at += 37) {
      if (!writer.WriteChunk(events.substr(at, 37))) return;
      writer.Delay(2ms);
    }
    writer.EndStream();  // no [DONE]: Gemini just ends the body
  });
  json request = ChatRequest("gem", true);
  request["stream_options"] = {{"include_usage", true}};
  auto stream = StreamChat(request);
  ASSERT_TRUE(stream->head().ok()) << stream->head().error;
  ASSERT_EQ(stream->head().status, 200);

  std::string content, reasoning, finish;
  json usage;
  bool done = false;
  for (int i = 0; i < 20 && !done; ++i) {
    SseItem item = stream->NextSkippingComments(kWait);
    ASSERT_EQ(SseKindName(item.kind), "data") << item.text;
    if (item.text == "[DONE]") {
      done = true;
      break;
    }
    json chunk = json::parse(item.text, nullptr, false);
    ASSERT_TRUE(chunk.is_object()) << item.text;
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_EQ(chunk["model"], "gem");
    if (chunk.contains("usage")) usage = chunk["usage"];
    for (const auto& choice : chunk["choices"]) {
      const json& delta = choice["delta"];
      if (delta.contains("content")) content += delta["content"].get<std::string>();
      if (delta.contains("reasoning_content")) reasoning += delta["reasoning_content"].get<std::string>();
      if (choice["finish_reason"].is_string()) finish = choice["finish_reason"];
    }
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(SseKindName(stream->Next(kWait).kind), "end");
  EXPECT_EQ(content, "Hello there");
  EXPECT_EQ(reasoning, "Thinking...");
  EXPECT_EQ(finish, "stop");
  EXPECT_EQ(usage["completion_tokens"], 5);

  auto requests = upstream_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  ExpectKeyInHeaderOnly(requests[0]);
  json sent = requests[0].Json();
  EXPECT_EQ(sent["contents"][0]["role"], "user");
  EXPECT_EQ(sent["contents"][0]["parts"][0]["text"], "Hi");
}

TEST_F(GeminiTest, NonStreamedAndBlockedPrompt) {
  ASSERT_NO_FATAL_FAILURE(Start(GeminiConfig(upstream_)));
  upstream_.SetHandler([](const RecordedRequest& request, ResponseWriter& writer) {
    if (request.body.find("forbidden") != std::string::npos) {
      writer.SendJson(200, json::parse(R"({"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}})"));
      return;
    }
    writer.SendJson(200, json::parse(R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Hi!"}]},
      "finishReason":"MAX_TOKENS","index":0}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1,
      "totalTokenCount":2}})"));
  });
  auto response = PostChat(ChatRequest("gem"));
  ASSERT_TRUE(response.ok()) << response.error;
  ASSERT_EQ(response.status, 200) << response.body;
  json body = response.Json();
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "gem");
  EXPECT_EQ(body["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(body["choices"][0]["message"]["content"], "Hi!");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["total_tokens"], 2);
  auto requests = upstream_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v1beta/models/gemini-2.5-flash:generateContent");
  ExpectKeyInHeaderOnly(requests[0]);

  json blocked = ChatRequest("gem");
  blocked["messages"][0]["content"] = "something forbidden";
  auto refused = PostChat(blocked);
  ExpectOpenAiError(refused, 400);
  EXPECT_EQ(ErrorMessage(refused.body), "Gemini blocked the prompt: PROHIBITED_CONTENT");
}

TEST_F(GeminiTest, RemoteImageIs400AndUpstreamErrorsKeepTheirStatus) {
  ASSERT_NO_FATAL_FAILURE(Start(GeminiConfig(upstream_)));
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.SendJson(429, json::parse(R"({"error":{"code":429,"message":"Quota exceeded.","status":"RESOURCE_EXHAUSTED"}})"));
  });
  json image = ChatRequest("gem");
  image["messages"][0]["content"] = json::parse(R"([{"type":"image_url","image_url":{"url":"http://x/cat.png"}}])");
  auto rejected = PostChat(image);
  ExpectOpenAiError(rejected, 400);
  EXPECT_NE(ErrorMessage(rejected.body).find("remote image URLs are not supported"), std::string::npos);
  EXPECT_TRUE(upstream_.Requests().empty());

  auto limited = PostChat(ChatRequest("gem"));
  ExpectOpenAiError(limited, 429);
  EXPECT_EQ(ErrorMessage(limited.body), "Quota exceeded.");
  EXPECT_EQ(limited.Json()["error"]["code"], "RESOURCE_EXHAUSTED");
}

}  // namespace
}  // namespace switchboard::testing
