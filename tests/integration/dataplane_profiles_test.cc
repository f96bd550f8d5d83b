// FunTimeRouter's client endpoints through the real data plane: the JanitorAI
// flow (browser preflight, POST to the pasted URL, prefill injected and
// stripped, CORS on everything), the SillyTavern flow (/models shows one
// generic model that routes to the default), and request logs that never
// carry a key, a prefill or the conversation.

#include <csignal>
#include <string>

#include "tests/integration/dataplane_fixture.h"

namespace switchboard::testing {
namespace {

using nlohmann::json;
using ProfilesTest = DataPlaneTest;

const Headers kSseHeaders = {{"Content-Type", "text/event-stream"}};
constexpr const char* kOrigin = "https://janitorai.com";
constexpr const char* kPrefill = "((OOC: Sure, continuing!))";
constexpr const char* kSystemPrefill = "Write vividly.";

// `up` is the default of both profiles; janitorai injects both prefills.
std::string ProfilesConfig(const FakeUpstream& upstream, const std::string& extra = "") {
  return StandardConfig(upstream) +
         "clientProfiles:\n"
         "  janitorai:\n"
         "    defaultModel: up\n"
         "    prefill: \"" + kPrefill + "\"\n"
         "    systemPrefill: \"" + kSystemPrefill + "\"\n"
         "  sillytavern:\n"
         "    defaultModel: up\n" +
         extra;
}

// The upstream repeats the prefill (split across chunks when streaming), as
// models do, then answers.
void EchoPrefillThenAnswer(FakeUpstream& upstream) {
  upstream.SetHandler([](const RecordedRequest& request, ResponseWriter& writer) {
    if (!request.Json().value("stream", false)) {
      writer.SendJson(200, UpstreamCompletion(std::string(kPrefill) + "\n\nThe tavern door creaks."));
      return;
    }
    writer.StartStream(200, kSseHeaders);
    writer.WriteChunk(SseEvent(UpstreamChunk("((OOC: Sure,")));
    writer.WriteChunk(SseEvent(UpstreamChunk(" continuing!)) ")));
    writer.WriteChunk(SseEvent(UpstreamChunk("The tavern")));
    writer.WriteChunk(SseEvent(UpstreamChunk(" door creaks.")) + SseEvent("[DONE]"));
    writer.EndStream();
  });
}

json JanitorBody(bool stream) {
  // JanitorAI sends its own free-text model name.
  return {{"model", "whatever-janitor-sends"},
          {"stream", stream},
          {"temperature", 0.9},
          {"max_tokens", 300},
          {"messages",
           {{{"role", "system"}, {"content", "You are Mira, a tavern keeper."}},
            {{"role", "user"}, {"content", "I push the door open."}}}}};
}

void ExpectCors(const HttpResponse& response) {
  EXPECT_EQ(response.Header("Access-Control-Allow-Origin").value_or("(none)"), "*") << response.body;
}

std::string StreamedContent(SseStream& stream) {
  std::string text;
  for (;;) {
    SseItem item = stream.NextSkippingComments(kWait);
    if (SseKindName(item.kind) != "data" || item.text == "[DONE]") break;
    json chunk = json::parse(item.text);
    for (const auto& choice : chunk["choices"]) {
      if (choice["delta"].contains("content")) text += choice["delta"]["content"].get<std::string>();
    }
  }
  return text;
}

TEST_F(ProfilesTest, BrowserPreflightIsAnswered) {
  ASSERT_NO_FATAL_FAILURE(Start(ProfilesConfig(upstream_)));
  // What Chrome sends before JanitorAI's POST.
  HttpResponse preflight = client_.Request("OPTIONS", api(), "/janitorai", "",
                                           {{"Origin", kOrigin},
                                            {"Access-Control-Request-Method", "POST"},
                                            {"Access-Control-Request-Headers", "authorization,content-type"},
                                            {"Sec-Fetch-Mode", "cors"},
                                            {"Referer", "https://janitorai.com/"}});
  ASSERT_TRUE(preflight.ok()) << preflight.error;
  EXPECT_EQ(preflight.status, 204);
  ExpectCors(preflight);
  std::string methods = preflight.Header("Access-Control-Allow-Methods").value_or("");
  EXPECT_NE(methods.find("POST"), std::string::npos) << methods;
  std::string allowed = preflight.Header("Access-Control-Allow-Headers").value_or("");
  for (const char* header : {"Authorization", "Content-Type", "X-API-Key", "authorization,content-type"}) {
    EXPECT_NE(allowed.find(header), std::string::npos) << header << " not in " << allowed;
  }
  EXPECT_EQ(preflight.Header("Access-Control-Max-Age").value_or(""), "86400");
  EXPECT_EQ(upstream_.Requests().size(), 0u);
}

TEST_F(ProfilesTest, JanitorAiPostToThePastedUrlWithPrefillStripped) {
  EchoPrefillThenAnswer(upstream_);
  ASSERT_NO_FATAL_FAILURE(Start(ProfilesConfig(upstream_)));
  for (const char* target : {"/janitorai", "/janitorai/chat/completions", "/janitorai/v1/chat/completions"}) {
    HttpResponse response = client_.Request("POST", api(), target, JanitorBody(false).dump(),
                                            {{"Origin", kOrigin}, {"Authorization", "Bearer sk-dummy"},
                                             {"Content-Type", "application/json"}});
    ASSERT_EQ(response.status, 200) << target << ": " << response.body;
    ExpectCors(response);
    EXPECT_EQ(response.Json()["choices"][0]["message"]["content"], "The tavern door creaks.") << target;
  }
  ASSERT_TRUE(upstream_.WaitForRequests(3, kWait));
  json sent = upstream_.Requests()[0].Json();
  EXPECT_EQ(sent["model"], "upstream-model");
  const json& messages = sent["messages"];
  ASSERT_EQ(messages.size(), 4u) << sent.dump();
  EXPECT_EQ(messages[0], (json{{"role", "system"}, {"content", kSystemPrefill}}));
  EXPECT_EQ(messages[1]["content"], "You are Mira, a tavern keeper.");
  EXPECT_EQ(messages[3], (json{{"role", "assistant"}, {"content", kPrefill}}));  // not Mistral: no "prefix"
}

TEST_F(ProfilesTest, JanitorAiStreamHasThePrefillStrippedAcrossChunks) {
  EchoPrefillThenAnswer(upstream_);
  ASSERT_NO_FATAL_FAILURE(Start(ProfilesConfig(upstream_)));
  auto stream = client_.Stream("POST", api(), "/janitorai", JanitorBody(true).dump(), {{"Origin", kOrigin}});
  ASSERT_TRUE(stream->head().ok()) << stream->head().error;
  EXPECT_EQ(stream->head().status, 200);
  EXPECT_EQ(stream->head().Header("Access-Control-Allow-Origin").value_or("(none)"), "*");
  EXPECT_EQ(StreamedContent(*stream), "The tavern door creaks.");
}

TEST_F(ProfilesTest, ErrorsCarryCorsHeadersToo) {
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.SendJson(500, {{"error", {{"message", "upstream broke"}, {"type", "server_error"}}}});
  });
  ASSERT_NO_FATAL_FAILURE(Start(ProfilesConfig(upstream_)));
  HttpResponse response = client_.Request("POST", api(), "/janitorai", JanitorBody(false).dump(), {{"Origin", kOrigin}});
  ExpectOpenAiError(response, 500);
  ExpectCors(response);
  HttpResponse bad_json = client_.Request("POST", api(), "/janitorai", "{nope", {{"Origin", kOrigin}});
  ExpectOpenAiError(bad_json, 400);
  ExpectCors(bad_json);
}

TEST_F(ProfilesTest, SillyTavernSeesOneGenericModelThatRoutesToTheDefault) {
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.SendJson(200, UpstreamCompletion("hello from up"));
  });
  ASSERT_NO_FATAL_FAILURE(Start(ProfilesConfig(upstream_)));
  for (const char* target : {"/sillytavern/models", "/sillytavern/v1/models"}) {
    HttpResponse models = client_.Get(api(), target);
    ASSERT_EQ(models.status, 200) << target;
    json body = models.Json();
    ASSERT_EQ(body["data"].size(), 1u) << models.body;
    EXPECT_EQ(body["data"][0]["id"], "Secret");
    EXPECT_EQ(body["object"], "list");
  }
  // SillyTavern: plain concatenation onto the base URL, Connection: close.
  for (const char* target : {"/sillytavern/chat/completions", "/sillytavern//chat/completions",
                             "/sillytavern/v1/chat/completions"}) {
    HttpResponse response = client_.Request("POST", api(), target, ChatRequest("Secret").dump(),
                                            {{"Connection", "close"}, {"Authorization", "Bearer undefined"}});
    ASSERT_EQ(response.status, 200) << target << ": " << response.body;
    EXPECT_EQ(response.Header("x-switchboard-model").value_or(""), "up");
    EXPECT_EQ(response.Json()["choices"][0]["message"]["content"], "hello from up");
  }
  // The plain /v1 API is unchanged.
  HttpResponse all = client_.Get(api(), "/v1/models");
  EXPECT_EQ(all.Json()["data"].size(), StandardModelNames().size());
}

TEST_F(ProfilesTest, RestrictedOriginsAreEchoedOthersGetNoCorsHeader) {
  ASSERT_NO_FATAL_FAILURE(
      Start(ProfilesConfig(upstream_, "cors:\n  allowedOrigins: [\"https://janitorai.com\"]\n")));
  HttpResponse allowed = client_.Request("GET", api(), "/v1/models", "", {{"Origin", kOrigin}});
  EXPECT_EQ(allowed.Header("Access-Control-Allow-Origin").value_or("(none)"), kOrigin);
  EXPECT_EQ(allowed.Header("Vary").value_or(""), "Origin");
  HttpResponse other = client_.Request("OPTIONS", api(), "/janitorai", "",
                                       {{"Origin", "https://elsewhere.example"},
                                        {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(other.status, 204);
  EXPECT_FALSE(other.Header("Access-Control-Allow-Origin").has_value());
}

TEST_F(ProfilesTest, RequestLogsNeverCarryKeysPrefillOrConversation) {
  EchoPrefillThenAnswer(upstream_);
  const std::string key = kKey;  // StandardConfig's key for `up`
  ASSERT_NO_FATAL_FAILURE(Start(ProfilesConfig(upstream_)));
  ASSERT_EQ(client_.Request("POST", api(), "/janitorai", JanitorBody(false).dump()).status, 200);
  auto stream = client_.Stream("POST", api(), "/janitorai", JanitorBody(true).dump());
  EXPECT_EQ(StreamedContent(*stream), "The tavern door creaks.");
  ASSERT_TRUE(upstream_.WaitForRequests(2, kWait));
  EXPECT_EQ(upstream_.Requests()[0].Header("Authorization").value_or(""), "Bearer " + key);  // the key was used

  dataplane_->Terminate();
  ASSERT_TRUE(dataplane_->WaitExit(kWait).has_value());
  std::string logs = dataplane_->LogText();
  for (const std::string& secret : {key, std::string(kPrefill), std::string(kSystemPrefill),
                                    std::string("tavern"), std::string("Mira"), std::string("whatever-janitor")}) {
    EXPECT_EQ(logs.find(secret), std::string::npos) << "'" << secret << "' is in the logs:\n" << logs;
  }
  int request_lines = 0;
  for (const std::string& line : dataplane_->Logs()) {
    json entry = json::parse(line, nullptr, false);
    if (!entry.is_object() || entry.value("msg", "") != "request") continue;
    ++request_lines;
    EXPECT_EQ(entry["profile"], "janitorai");
    EXPECT_EQ(entry["model"], "up");
    EXPECT_EQ(entry["upstream_model"], "upstream-model");
    EXPECT_EQ(entry["status"], 200);
    EXPECT_TRUE(entry.contains("duration_ms") && entry.contains("id") && entry.contains("ts")) << line;
  }
  EXPECT_EQ(request_lines, 2);
}

TEST_F(ProfilesTest, RequestLoggingCanBeTurnedOff) {
  EchoPrefillThenAnswer(upstream_);
  ASSERT_NO_FATAL_FAILURE(Start(ProfilesConfig(upstream_), {{"ENABLE_LOGGING", "false"}}));
  ASSERT_EQ(PostChat(ChatRequest("up")).status, 200);
  dataplane_->Terminate();
  ASSERT_TRUE(dataplane_->WaitExit(kWait).has_value());
  EXPECT_EQ(dataplane_->LogText().find("\"msg\":\"request\""), std::string::npos) << dataplane_->LogText();
}

}  // namespace
}  // namespace switchboard::testing
