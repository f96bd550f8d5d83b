// Retries and key pools through the real data plane: a failed attempt that sent
// nothing to the client is retried on another target of a random provider
// (never one that already failed) or with the model's next key; 4xx is final;
// keys that were refused rest; a model failing again and again is ejected.

#include <set>
#include <string>

#include "tests/integration/dataplane_fixture.h"

namespace switchboard::testing {
namespace {

using nlohmann::json;
using RetryTest = DataPlaneTest;

const Headers kSseHeaders = {{"Content-Type", "text/event-stream"}};

void AlwaysStatus(FakeUpstream& upstream, int status, Headers headers = {}) {
  upstream.SetHandler([status, headers](const RecordedRequest&, ResponseWriter& writer) {
    Headers all = headers;
    all.emplace_back("Content-Type", "application/json");
    writer.Send(status, all,
                json{{"error", {{"message", "status " + std::to_string(status)}, {"type", "x"}}}}.dump());
  });
}

void AlwaysOk(FakeUpstream& upstream, const std::string& content) {
  upstream.SetHandler([content](const RecordedRequest& request, ResponseWriter& writer) {
    if (!request.Json().value("stream", false)) {
      writer.SendJson(200, UpstreamCompletion(content));
      return;
    }
    writer.StartStream(200, kSseHeaders);
    writer.WriteChunk(SseEvent(UpstreamChunk(content)) + SseEvent("[DONE]"));
    writer.EndStream();
  });
}

std::string Provider(const std::string& name, const FakeUpstream& upstream) {
  return "  " + name + ": {type: genericoai, url: \"http://" + upstream.host_port() + "/v1\", modelName: " + name + "}\n";
}

constexpr const char* kFastRetry = "retry: {attempts: 3, backoffMs: 1, maxBackoffMs: 5}\n";

TEST_F(RetryTest, ARandomProviderRetriesOnAnotherTarget) {
  FakeUpstream good;
  AlwaysStatus(upstream_, 503);
  AlwaysOk(good, "from b");
  ASSERT_NO_FATAL_FAILURE(Start("modelProviders:\n" + Provider("a", upstream_) + Provider("b", good) +
                                "  pick: {type: random, modelList: [a, b]}\n" + kFastRetry));
  for (int i = 0; i < 20; ++i) {
    HttpResponse response = PostChat(ChatRequest("pick"));
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.Header("x-switchboard-model").value_or(""), "b");
    EXPECT_EQ(response.Json()["choices"][0]["message"]["content"], "from b");
  }
  EXPECT_EQ(good.Requests().size(), 20u);
  // About half the requests tried `a` first; each at most once.
  EXPECT_LE(upstream_.Requests().size(), 20u);
  EXPECT_GE(upstream_.Requests().size(), 1u);
}

TEST_F(RetryTest, AStreamIsRetriedBeforeItsFirstByte) {
  FakeUpstream good;
  AlwaysStatus(upstream_, 502);
  AlwaysOk(good, "streamed from b");
  ASSERT_NO_FATAL_FAILURE(Start("modelProviders:\n" + Provider("a", upstream_) + Provider("b", good) +
                                "  pick: {type: random, modelWeights: {a: 1000, b: 1}}\n" + kFastRetry));
  auto stream = StreamChat(ChatRequest("pick", true));
  ASSERT_EQ(stream->head().status, 200);
  EXPECT_EQ(stream->head().Header("x-switchboard-model").value_or(""), "b");
  SseItem first = stream->NextSkippingComments(kWait);
  ASSERT_EQ(SseKindName(first.kind), "data") << first.text;
  EXPECT_EQ(json::parse(first.text)["choices"][0]["delta"]["content"], "streamed from b");
  EXPECT_EQ(stream->NextSkippingComments(kWait).text, "[DONE]");
}

TEST_F(RetryTest, ATargetThatFailedIsNeverPickedAgain) {
  FakeUpstream other;
  AlwaysStatus(upstream_, 500);
  AlwaysStatus(other, 503);
  ASSERT_NO_FATAL_FAILURE(Start("modelProviders:\n" + Provider("a", upstream_) + Provider("b", other) +
                                "  pick: {type: random, modelList: [a, b]}\n" + kFastRetry));
  HttpResponse response = PostChat(ChatRequest("pick"));
  ASSERT_TRUE(response.status == 500 || response.status == 503) << response.body;
  // Three attempts allowed, two targets: each tried exactly once.
  EXPECT_EQ(upstream_.Requests().size(), 1u);
  EXPECT_EQ(other.Requests().size(), 1u);
  ExpectStillServing();
}

TEST_F(RetryTest, ClientErrorsAreNotRetried) {
  FakeUpstream good;
  AlwaysStatus(upstream_, 400);
  AlwaysOk(good, "never");
  ASSERT_NO_FATAL_FAILURE(Start("modelProviders:\n" + Provider("a", upstream_) + Provider("b", good) +
                                "  pick: {type: random, modelWeights: {a: 1000000, b: 0.000001}}\n" + kFastRetry));
  HttpResponse response = PostChat(ChatRequest("pick"));
  ExpectOpenAiError(response, 400);
  EXPECT_EQ(upstream_.Requests().size(), 1u);
  EXPECT_EQ(good.Requests().size(), 0u);
}

TEST_F(RetryTest, AnUnreachableTargetIsRetriedElsewhere) {
  FakeUpstream good;
  AlwaysOk(good, "reached");
  int dead_port;
  {
    FakeUpstream gone;  // a port that was just free: nothing listens there now
    dead_port = gone.port();
  }
  ASSERT_NO_FATAL_FAILURE(Start("modelProviders:\n  dead: {type: genericoai, url: \"http://127.0.0.1:" +
                                std::to_string(dead_port) + "/v1\", modelName: x}\n" + Provider("b", good) +
                                "  pick: {type: random, modelWeights: {dead: 1000000, b: 0.000001}}\n" + kFastRetry));
  HttpResponse response = PostChat(ChatRequest("pick"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("x-switchboard-model").value_or(""), "b");
}

TEST_F(RetryTest, ARefusedKeyRestsAndTheNextKeyIsUsed) {
  upstream_.SetHandler([](const RecordedRequest& request, ResponseWriter& writer) {
    if (request.Header("Authorization").value_or("") == "Bearer sk-limited") {
      writer.Send(429, {{"Content-Type", "application/json"}, {"Retry-After", "60"}},
                  R"({"error":{"message":"slow down","type":"rate_limit"}})");
      return;
    }
    writer.SendJson(200, UpstreamCompletion("ok"));
  });
  ASSERT_NO_FATAL_FAILURE(Start("keyProviders:\n"
                                "  k1: {type: literal, key: sk-limited, modelTargets: [\"^m$\"]}\n"
                                "  k2: {type: literal, key: sk-fine, modelTargets: [\"^m$\"]}\n"
                                "modelProviders:\n" + Provider("m", upstream_) + kFastRetry));
  for (int i = 0; i < 6; ++i) {
    HttpResponse response = PostChat(ChatRequest("m"));
    ASSERT_EQ(response.status, 200) << response.body;
  }
  // sk-limited was tried at most once: after its 429 it rests for a minute.
  int limited = 0;
  for (const auto& request : upstream_.Requests()) {
    if (request.Header("Authorization").value_or("") == "Bearer sk-limited") ++limited;
  }
  EXPECT_LE(limited, 1);
  EXPECT_EQ(upstream_.Requests().size() - limited, 6u);
}

TEST_F(RetryTest, EveryKeyRestingIsA429WithRetryAfter) {
  AlwaysStatus(upstream_, 429, {{"Retry-After", "30"}});
  ASSERT_NO_FATAL_FAILURE(Start("keyProviders:\n"
                                "  k1: {type: literal, key: sk-one, modelTargets: [\"^m$\"]}\n"
                                "modelProviders:\n" + Provider("m", upstream_) + kFastRetry));
  HttpResponse first = PostChat(ChatRequest("m"));
  ExpectOpenAiError(first, 429);
  EXPECT_EQ(ErrorMessage(first.body), "status 429");  // the upstream's own answer
  EXPECT_EQ(first.Header("Retry-After").value_or(""), "30");
  HttpResponse second = PostChat(ChatRequest("m"));
  ExpectOpenAiError(second, 429);
  EXPECT_NE(ErrorMessage(second.body).find("Every API key of model 'm' is resting"), std::string::npos)
      << second.body;
  int retry_after = std::atoi(second.Header("Retry-After").value_or("0").c_str());
  EXPECT_GE(retry_after, 28);
  EXPECT_LE(retry_after, 30);
  EXPECT_EQ(upstream_.Requests().size(), 1u);  // the resting key was not sent again
  // The log names the key provider, never the key.
  EXPECT_EQ(dataplane_->LogText().find("sk-one"), std::string::npos);
}

TEST_F(RetryTest, AModelThatKeepsFailingIsEjectedFromRandomPicks) {
  FakeUpstream good;
  AlwaysStatus(upstream_, 500);
  AlwaysOk(good, "ok");
  ASSERT_NO_FATAL_FAILURE(Start("modelProviders:\n" + Provider("a", upstream_) + Provider("b", good) +
                                "  pick: {type: random, modelWeights: {a: 1000000, b: 0.000001}}\n" + kFastRetry +
                                "upstream: {ejectAfterFailures: 2, ejectSeconds: 600}\n"));
  for (int i = 0; i < 10; ++i) ASSERT_EQ(PostChat(ChatRequest("pick")).status, 200);
  // `a` failed twice and was then skipped, even though its weight is huge.
  EXPECT_EQ(upstream_.Requests().size(), 2u);
  EXPECT_EQ(good.Requests().size(), 10u);
}

TEST_F(RetryTest, NoRetryOnceTheStreamHasStarted) {
  FakeUpstream other;
  AlwaysOk(other, "never");
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, kSseHeaders);
    writer.WriteChunk(SseEvent(UpstreamChunk("half")));
    writer.Abort();
  });
  ASSERT_NO_FATAL_FAILURE(Start("modelProviders:\n" + Provider("a", upstream_) + Provider("b", other) +
                                "  pick: {type: random, modelWeights: {a: 1000000, b: 0.000001}}\n" + kFastRetry));
  auto stream = StreamChat(ChatRequest("pick", true));
  SseItem first = stream->NextSkippingComments(kWait);
  EXPECT_EQ(json::parse(first.text)["choices"][0]["delta"]["content"], "half");
  SseItem error = stream->NextSkippingComments(kWait);
  EXPECT_NE(error.text.find("\"error\""), std::string::npos) << error.text;
  EXPECT_EQ(stream->NextSkippingComments(kWait).text, "[DONE]");
  EXPECT_EQ(other.Requests().size(), 0u);
  ExpectStillServing();
}

}  // namespace
}  // namespace switchboard::testing
