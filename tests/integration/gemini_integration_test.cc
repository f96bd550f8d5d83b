// The gemini provider end to end: the real data plane against a fake Gemini that
// speaks generateContent / streamGenerateContent?alt=sse (no [DONE], events
// split across writes, thoughts), as a client sees it.

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/dataplane_fixture.h"

namespace switchboard::testing {
namespace {

bool IsChatCompletionId(const std::string& id) {
  constexpr std::string_view kPrefix = "chatcmpl-";
  if (id.size() != kPrefix.size() + 24 || id.rfind(kPrefix, 0) != 0) return false;
  return std::all_of(id.begin() + kPrefix.size(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

using namespace std::chrono_literals;
using nlohmann::json;
using GeminiTest = DataPlaneTest;

constexpr const char* kGoogleKey = "AIza-test-key";

// StandardConfig plus `gem` (gemini at the fake) with its own key, and
// `more_providers` / `more_top_level` YAML appended.
std::string GeminiConfig(const FakeUpstream& upstream, const std::string& more_providers = "",
                         const std::string& more_top_level = "") {
  ConfigOptions options;
  options.extra_providers = "  gem: {type: gemini, url: \"http://" + upstream.host_port() +
                            "\", modelName: gemini-2.5-flash}\n" + more_providers;
  std::string yaml = StandardConfig(upstream, options);
  // A second key provider for the gemini models.
  std::string key_line = std::string("  g1: {type: literal, key: ") + kGoogleKey + ", modelTargets: [\"^gem\"]}\n";
  yaml.insert(yaml.find("modelProviders:\n"), key_line);
  return yaml + more_top_level;
}

// A gemini model provider line for GeminiConfig's `more_providers`.
std::string GeminiProvider(const FakeUpstream& upstream, const std::string& name, const std::string& extra) {
  return "  " + name + ": {type: gemini, url: \"http://" + upstream.host_port() +
         "\", modelName: gemini-2.5-pro" + extra + "}\n";
}

// One Gemini answer (a GenerateContentResponse) with `text`.
json GeminiAnswer(const std::string& text, const std::string& finish = "STOP") {
  return {{"candidates",
           {{{"content", {{"role", "model"}, {"parts", {{{"text", text}}}}}}, {"finishReason", finish}, {"index", 0}}}},
          {"usageMetadata", {{"promptTokenCount", 3}, {"candidatesTokenCount", 2}, {"totalTokenCount", 5}}}};
}

// Everything a client collects from a chat stream.
struct StreamResult {
  bool done = false;                   // [DONE] arrived, and then the end
  std::map<int, std::string> content;  // by choice index
  std::map<int, std::string> reasoning;
  std::map<int, std::vector<std::string>> finishes;  // every finish_reason seen, by index
  std::map<int, int> chunks_after_finish;           // chunks of a choice after its finish_reason
  std::vector<json> errors;                         // `error` payloads
  std::vector<std::string> ids;                     // the id of every chunk
};

StreamResult ReadStream(SseStream& stream) {
  StreamResult result;
  for (int i = 0; i < 200; ++i) {
    SseItem item = stream.NextSkippingComments(kWait);
    EXPECT_EQ(SseKindName(item.kind), "data") << item.text;
    if (item.kind != SseItem::Kind::kData) return result;
    if (item.text == "[DONE]") {
      result.done = SseKindName(stream.Next(kWait).kind) == "end";
      return result;
    }
    json chunk = json::parse(item.text, nullptr, false);
    EXPECT_TRUE(chunk.is_object()) << item.text;
    if (!chunk.is_object()) return result;
    if (chunk.contains("error")) {
      result.errors.push_back(chunk["error"]);
      continue;
    }
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    result.ids.push_back(chunk.value("id", ""));
    for (const auto& choice : chunk["choices"]) {
      int index = choice["index"].get<int>();
      if (!result.finishes[index].empty()) ++result.chunks_after_finish[index];
      const json& delta = choice["delta"];
      if (delta.contains("content")) result.content[index] += delta["content"].get<std::string>();
      if (delta.contains("reasoning_content")) result.reasoning[index] += delta["reasoning_content"].get<std::string>();
      if (choice["finish_reason"].is_string()) result.finishes[index].push_back(choice["finish_reason"]);
    }
  }
  ADD_FAILURE() << "the stream did not end";
  return result;
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
  // The id OpenAI's answers have: "chatcmpl-" and 24 letters and digits, new
  // for each answer.
  const std::string id = body["id"].get<std::string>();
  EXPECT_TRUE(IsChatCompletionId(id)) << id;
  EXPECT_EQ(body["choices"][0]["message"]["content"], "Hi!");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["total_tokens"], 2);
  auto requests = upstream_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v1beta/models/gemini-2.5-flash:generateContent");
  ExpectKeyInHeaderOnly(requests[0]);
  auto again = PostChat(ChatRequest("gem"));
  ASSERT_EQ(again.status, 200) << again.body;
  const std::string second_id = again.Json()["id"].get<std::string>();
  EXPECT_TRUE(IsChatCompletionId(second_id)) << second_id;
  EXPECT_NE(second_id, id);

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


TEST_F(GeminiTest, TwoCandidatesStreamWithTheirIndexes) {
  ASSERT_NO_FATAL_FAILURE(Start(GeminiConfig(upstream_)));
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    std::string events =
        SseEvent(R"({"candidates":[{"content":{"role":"model","parts":[{"text":"The knight"}]},"index":0},)"
                 R"({"content":{"role":"model","parts":[{"text":"A dragon"}]},"index":1}]})") +
        SseEvent(R"({"candidates":[{"content":{"role":"model","parts":[{"text":" bows."}]},"finishReason":"STOP","index":0},)"
                 R"({"content":{"role":"model","parts":[{"text":" roars"}]},"index":1}]})") +
        SseEvent(R"({"candidates":[{"content":{"role":"model","parts":[{"text":" loudly."}]},"finishReason":"MAX_TOKENS","index":1}],)"
                 R"("usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":8,"totalTokenCount":13}})");
    writer.StartStream(200, {{"Content-Type", "text/event-stream"}});
    for (size_t at = 0; at < events.size(); at += 53) {
      if (!writer.WriteChunk(events.substr(at, 53))) return;
      writer.Delay(1ms);
    }
    writer.EndStream();
  });
  json request = ChatRequest("gem", true);
  request["n"] = 2;
  auto stream = StreamChat(request);
  ASSERT_EQ(stream->head().status, 200) << stream->head().error;
  StreamResult result = ReadStream(*stream);
  EXPECT_TRUE(result.done);
  EXPECT_TRUE(result.errors.empty());
  EXPECT_EQ(result.content[0], "The knight bows.");
  EXPECT_EQ(result.content[1], "A dragon roars loudly.");
  // One finish_reason per choice, on its last chunk.
  EXPECT_EQ(result.finishes[0], std::vector<std::string>{"stop"});
  EXPECT_EQ(result.finishes[1], std::vector<std::string>{"length"});
  EXPECT_EQ(result.chunks_after_finish[0], 0);
  EXPECT_EQ(result.chunks_after_finish[1], 0);
  ASSERT_FALSE(result.ids.empty());
  for (const auto& id : result.ids) EXPECT_EQ(id, result.ids[0]);

  auto requests = upstream_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].Json()["generationConfig"]["candidateCount"], 2);
}

TEST_F(GeminiTest, BlockedPromptInAStreamIsAnErrorEventThenDone) {
  ASSERT_NO_FATAL_FAILURE(Start(GeminiConfig(upstream_)));
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, {{"Content-Type", "text/event-stream"}});
    writer.WriteChunk(SseEvent(R"({"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},)"
                               R"("usageMetadata":{"promptTokenCount":7,"totalTokenCount":7}})"));
    writer.EndStream();
  });
  json request = ChatRequest("gem", true);
  request["stream_options"] = {{"include_usage", true}};
  auto stream = StreamChat(request);
  ASSERT_EQ(stream->head().status, 200) << stream->head().error;
  StreamResult result = ReadStream(*stream);
  EXPECT_TRUE(result.done);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0]["message"], "Gemini blocked the prompt: PROHIBITED_CONTENT");
  EXPECT_TRUE(result.ids.empty());  // no usage chunk after the error
}

TEST_F(GeminiTest, StreamedRateLimitKeepsStatusAndGeminisMessage) {
  ASSERT_NO_FATAL_FAILURE(Start(GeminiConfig(upstream_)));
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.SendJson(429, json::parse(R"({"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED"}})"));
  });
  auto stream = StreamChat(ChatRequest("gem", true));
  ASSERT_TRUE(stream->head().ok()) << stream->head().error;
  EXPECT_EQ(stream->head().status, 429);
  json body = json::parse(stream->ReadToEnd(kWait), nullptr, false);
  ASSERT_TRUE(body.is_object());
  EXPECT_EQ(body["error"]["message"], "You exceeded your current quota, please check your plan and billing details.");
  EXPECT_EQ(body["error"]["code"], "RESOURCE_EXHAUSTED");
  EXPECT_EQ(body["error"]["type"], "rate_limit_error");
}

TEST_F(GeminiTest, RandomProviderMixesGeminiAndOpenAiCompatible) {
  ASSERT_NO_FATAL_FAILURE(Start(GeminiConfig(upstream_, "  mix: {type: random, modelList: [gem, up]}\n")));
  upstream_.SetHandler([](const RecordedRequest& request, ResponseWriter& writer) {
    if (request.target.find(":generateContent") != std::string::npos) {
      writer.SendJson(200, GeminiAnswer("from gemini"));
    } else {
      writer.SendJson(200, UpstreamCompletion("from openai"));
    }
  });
  std::map<std::string, int> answered_by;  // x-switchboard-model -> count
  for (int i = 0; i < 60 && answered_by.size() < 2; ++i) {
    auto response = PostChat(ChatRequest("mix"));
    ASSERT_TRUE(response.ok()) << response.error;
    ASSERT_EQ(response.status, 200) << response.body;
    json body = response.Json();
    EXPECT_EQ(body["object"], "chat.completion");
    std::string routed = response.Header("x-switchboard-model").value_or("");
    EXPECT_EQ(body["choices"][0]["message"]["content"], routed == "gem" ? "from gemini" : "from openai") << routed;
    // Gemini's answer is built here and names the model asked for; an
    // OpenAI-compatible answer is relayed as the upstream wrote it.
    EXPECT_EQ(body["model"], routed == "gem" ? "mix" : "upstream-model") << routed;
    ++answered_by[routed];
  }
  EXPECT_GT(answered_by["gem"], 0);
  EXPECT_GT(answered_by["up"], 0);
  for (const auto& request : upstream_.Requests()) {
    if (request.target.find(":generateContent") != std::string::npos) {
      ExpectKeyInHeaderOnly(request);
      EXPECT_EQ(request.Json()["contents"][0]["parts"][0]["text"], "Hi");
    } else {
      EXPECT_EQ(request.target, "/v1/chat/completions");
      EXPECT_EQ(request.Header("authorization").value_or(""), std::string("Bearer ") + kKey);
      EXPECT_FALSE(request.Header("x-goog-api-key").has_value());
      EXPECT_EQ(request.Json()["model"], "upstream-model");
    }
  }
}

TEST_F(GeminiTest, ProcessorChainRunsBeforeTranslation) {
  ASSERT_NO_FATAL_FAILURE(Start(GeminiConfig(
      upstream_, GeminiProvider(upstream_, "gem-chained", ", processorChain: rp"),
      "processorChains:\n  rp:\n    - type: nosys\n    - type: overridesamplers\n      temperature: 0.3\n      topK: 20\n")));
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.SendJson(200, GeminiAnswer("ok"));
  });
  json request = ChatRequest("gem-chained");
  request["messages"] = json::parse(R"([{"role":"system","content":"You are a pirate."},{"role":"user","content":"Ahoy"}])");
  request["temperature"] = 1.2;
  auto response = PostChat(request);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json()["choices"][0]["message"]["content"], "ok");

  auto requests = upstream_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v1beta/models/gemini-2.5-pro:generateContent");
  json sent = requests[0].Json();
  // nosys made the system message a user message before Gemini's mapping saw it.
  EXPECT_FALSE(sent.contains("systemInstruction")) << sent.dump();
  EXPECT_EQ(sent["contents"], json::parse(R"([{"role":"user","parts":[{"text":"You are a pirate."},{"text":"Ahoy"}]}])"));
  EXPECT_EQ(sent["generationConfig"]["temperature"], 0.3);
  EXPECT_EQ(sent["generationConfig"]["topK"], 20);
}

TEST_F(GeminiTest, PerModelOptionsArriveUpstream) {
  std::string providers =
      GeminiProvider(upstream_, "gem-plain", ", systemInstruction: false, safetySettings: BLOCK_NONE, "
                                             "thinkingBudget: 512, includeThoughts: false") +
      GeminiProvider(upstream_, "gem-mixed",
                     ", safetySettings: {HARM_CATEGORY_HATE_SPEECH: BLOCK_ONLY_HIGH}, thinkingBudget: -1");
  ASSERT_NO_FATAL_FAILURE(Start(GeminiConfig(upstream_, providers)));
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.SendJson(200, GeminiAnswer("ok"));
  });
  json request = ChatRequest("gem-plain");
  request["messages"] = json::parse(R"([{"role":"system","content":"Narrate."},{"role":"user","content":"Go"}])");
  request["reasoning_effort"] = "high";
  ASSERT_EQ(PostChat(request).status, 200);
  request["model"] = "gem-mixed";
  ASSERT_EQ(PostChat(request).status, 200);
  request["model"] = "gem";
  ASSERT_EQ(PostChat(request).status, 200);

  auto requests = upstream_.Requests();
  ASSERT_EQ(requests.size(), 3u);
  json plain = requests[0].Json();
  EXPECT_FALSE(plain.contains("systemInstruction"));
  EXPECT_EQ(plain["contents"], json::parse(R"([{"role":"user","parts":[{"text":"Narrate."},{"text":"Go"}]}])"));
  ASSERT_EQ(plain["safetySettings"].size(), 5u);
  for (const auto& setting : plain["safetySettings"]) EXPECT_EQ(setting["threshold"], "BLOCK_NONE") << setting;
  EXPECT_EQ(plain["generationConfig"]["thinkingConfig"], json::parse(R"({"thinkingBudget":512,"includeThoughts":false})"));

  json mixed = requests[1].Json();
  EXPECT_EQ(mixed["systemInstruction"], json::parse(R"({"parts":[{"text":"Narrate."}]})"));
  for (const auto& setting : mixed["safetySettings"]) {
    EXPECT_EQ(setting["threshold"], setting["category"] == "HARM_CATEGORY_HATE_SPEECH" ? "BLOCK_ONLY_HIGH" : "OFF");
  }
  EXPECT_EQ(mixed["generationConfig"]["thinkingConfig"], json::parse(R"({"thinkingBudget":-1,"includeThoughts":true})"));

  // The model without options: every category OFF, the client's effort decides.
  json plain_default = requests[2].Json();
  for (const auto& setting : plain_default["safetySettings"]) EXPECT_EQ(setting["threshold"], "OFF");
  EXPECT_EQ(plain_default["generationConfig"]["thinkingConfig"],
            json::parse(R"({"thinkingBudget":24576,"includeThoughts":true})"));
}

TEST_F(GeminiTest, MoreThanFiveStopSequencesKeepFiveAndSaySo) {
  ASSERT_NO_FATAL_FAILURE(Start(GeminiConfig(upstream_)));
  upstream_.SetHandler([](const RecordedRequest& request, ResponseWriter& writer) {
    if (request.target.find("alt=sse") != std::string::npos) {
      writer.StartStream(200, {{"Content-Type", "text/event-stream"}});
      writer.WriteChunk(SseEvent(GeminiAnswer("streamed").dump()));
      writer.EndStream();
      return;
    }
    writer.SendJson(200, GeminiAnswer("ok"));
  });
  const std::string warning = "stop: Gemini takes at most 5 stop sequences; sent the first 5 of 7";
  json request = ChatRequest("gem");
  request["stop"] = {"\nUser:", "\nYou:", "\n###", "</s>", "<|eot_id|>", "\nSystem:", "\nNarrator:"};
  auto response = PostChat(request);
  ASSERT_EQ(response.status, 200) << response.body;  // never a failure
  EXPECT_EQ(response.Header("x-switchboard-warning").value_or("<none>"), warning);
  EXPECT_EQ(response.Json()["choices"][0]["message"]["content"], "ok");

  request["stream"] = true;
  auto stream = StreamChat(request);
  ASSERT_EQ(stream->head().status, 200) << stream->head().error;
  EXPECT_EQ(stream->head().Header("x-switchboard-warning").value_or("<none>"), warning);
  StreamResult result = ReadStream(*stream);
  EXPECT_EQ(result.content[0], "streamed");

  auto requests = upstream_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& sent : requests) {
    EXPECT_EQ(sent.Json()["generationConfig"]["stopSequences"],
              json::parse(R"(["\nUser:","\nYou:","\n###","</s>","<|eot_id|>"])"));
  }
  EXPECT_TRUE(dataplane_->WaitForLog(warning, kWait));

  // Five or fewer: no warning.
  request["stream"] = false;
  request["stop"] = {"a", "b", "c", "d", "e"};
  auto quiet = PostChat(request);
  ASSERT_EQ(quiet.status, 200);
  EXPECT_FALSE(quiet.Header("x-switchboard-warning").has_value());
}

TEST_F(GeminiTest, UnknownFinishReasonIsStopAndLogged) {
  ASSERT_NO_FATAL_FAILURE(Start(GeminiConfig(upstream_)));
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.SendJson(200, GeminiAnswer("Bonjour", "LANGUAGE"));
  });
  auto response = PostChat(ChatRequest("gem"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json()["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(dataplane_->WaitForLog("Gemini finishReason 'LANGUAGE' has no OpenAI equivalent", kWait))
      << dataplane_->LogText();
}

}  // namespace
}  // namespace switchboard::testing
