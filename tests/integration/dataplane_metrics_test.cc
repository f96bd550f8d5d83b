// The data plane's /metrics as Prometheus (and promtool) see it: per-model
// counts that match the traffic sent, tokens from the upstream's usage, live
// weights, and a series count that clients cannot blow up.

#include <map>
#include <string>
#include <thread>

#include "tests/integration/dataplane_fixture.h"
#include "tests/integration/harness/prom_text.h"

namespace switchboard::testing {
namespace {

using namespace std::chrono_literals;
using MetricsTest = DataPlaneTest;

const Headers kSseHeaders = {{"Content-Type", "text/event-stream"}};

// The upstream answers every request: plain JSON with usage 3/4, or a stream
// whose last chunk carries usage 5/6 when the request asked for it.
void ServeWithUsage(FakeUpstream& upstream) {
  upstream.SetHandler([](const RecordedRequest& request, ResponseWriter& writer) {
    nlohmann::json body = request.Json();
    if (!body.value("stream", false)) {
      writer.SendJson(200, UpstreamCompletion("plain"));
      return;
    }
    writer.StartStream(200, kSseHeaders);
    writer.WriteChunk(SseEvent(UpstreamChunk("streamed")));
    bool wants_usage = body.contains("stream_options") && body["stream_options"].value("include_usage", false);
    if (wants_usage) {
      writer.WriteChunk(SseEvent(
          R"({"id":"u","object":"chat.completion.chunk","created":1,"model":"m","choices":[],)"
          R"("usage":{"prompt_tokens":5,"completion_tokens":6,"total_tokens":11}})"));
    }
    writer.WriteChunk(SseEvent("[DONE]"));
    writer.EndStream();
  });
}

std::vector<PromSample> Scrape(const HttpClient& client, const std::string& admin) {
  HttpResponse response = client.Get(admin, "/metrics");
  EXPECT_EQ(response.status, 200) << response.error << response.body;
  EXPECT_EQ(response.Header("Content-Type").value_or("").rfind("text/plain; version=0.0.4", 0), 0u);
  return ParsePromText(response.body);
}

// A request is counted when it ends, which may be just after the client has
// read the whole answer: scrapes until `requests` chat requests are counted.
std::vector<PromSample> ScrapeWhenCounted(const HttpClient& client, const std::string& admin, double requests) {
  auto deadline = std::chrono::steady_clock::now() + kWait;
  auto samples = Scrape(client, admin);
  while (SumSamples(samples, "switchboard_requests_total") < requests && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling interval
    samples = Scrape(client, admin);
  }
  EXPECT_EQ(SumSamples(samples, "switchboard_requests_total"), requests);
  return samples;
}

ConfigOptions WithRandom(const std::string& weights) {
  ConfigOptions options;
  options.extra_providers = "  pick: {type: random, modelWeights: {" + weights + "}}\n";
  return options;
}

TEST_F(MetricsTest, CountsMatchTheTrafficPerRoutedModel) {
  ServeWithUsage(upstream_);
  ASSERT_NO_FATAL_FAILURE(StartStandard(WithRandom("up: 1, local: 1")));
  std::map<std::string, int> answered_by;
  constexpr int kRequests = 40;
  for (int i = 0; i < kRequests; ++i) {
    HttpResponse response = PostChat(ChatRequest("pick"));
    ASSERT_EQ(response.status, 200) << response.body;
    answered_by[response.Header("x-switchboard-model").value_or("?")]++;
  }
  ASSERT_EQ(PostChat(ChatRequest("triv")).status, 200);

  auto samples = ScrapeWhenCounted(client_, dataplane_->admin(), kRequests + 1);
  for (const auto& [model, count] : answered_by) {
    EXPECT_EQ(SumSamples(samples, "switchboard_requests_total",
                         {{"requested_model", "pick"}, {"routed_model", model}, {"code_class", "2xx"},
                          {"provider_type", "genericoai"}, {"client_profile", "default"}}),
              count)
        << model;
    EXPECT_EQ(SumSamples(samples, "switchboard_request_duration_seconds_count", {{"routed_model", model}}), count);
    EXPECT_EQ(SumSamples(samples, "switchboard_time_to_first_token_seconds_count", {{"routed_model", model}}), count);
    EXPECT_EQ(SumSamples(samples, "switchboard_tokens_total", {{"routed_model", model}, {"direction", "prompt"}}),
              3 * count);
    EXPECT_EQ(
        SumSamples(samples, "switchboard_tokens_total", {{"routed_model", model}, {"direction", "completion"}}),
        4 * count);
    EXPECT_EQ(SumSamples(samples, "switchboard_upstream_attempts_total", {{"routed_model", model}, {"outcome", "ok"}}),
              count);
  }
  EXPECT_EQ(SumSamples(samples, "switchboard_requests_total", {{"requested_model", "triv"}, {"routed_model", "triv"}}),
            1);
  EXPECT_EQ(SumSamples(samples, "switchboard_route_weight", {{"random_model", "pick"}, {"target", "up"}}), 1);
  EXPECT_EQ(SumSamples(samples, "switchboard_config_version"), 1);
  EXPECT_EQ(SumSamples(samples, "switchboard_active_requests"), 0);
}

TEST_F(MetricsTest, StreamsCountUsageWithoutShowingItToClientsThatDidNotAsk) {
  ServeWithUsage(upstream_);
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  auto stream = StreamChat(ChatRequest("up", true));
  std::vector<std::string> data;
  for (;;) {
    SseItem item = stream->NextSkippingComments(kWait);
    if (SseKindName(item.kind) != "data") break;
    data.push_back(item.text);
  }
  ASSERT_EQ(data.size(), 2u);  // the content chunk and [DONE]; the usage chunk was ours
  EXPECT_EQ(data.back(), "[DONE]");
  EXPECT_EQ(data[0].find("usage"), std::string::npos) << data[0];
  ASSERT_TRUE(upstream_.WaitForRequests(1, kWait));
  EXPECT_EQ(upstream_.Requests()[0].Json()["stream_options"]["include_usage"], true);

  // A client that asks sees it.
  nlohmann::json asking = ChatRequest("up", true);
  asking["stream_options"] = {{"include_usage", true}};
  auto second = StreamChat(asking);
  bool saw_usage = false;
  for (;;) {
    SseItem item = second->NextSkippingComments(kWait);
    if (SseKindName(item.kind) != "data") break;
    if (item.text.find("\"usage\"") != std::string::npos) saw_usage = true;
  }
  EXPECT_TRUE(saw_usage);

  auto samples = ScrapeWhenCounted(client_, dataplane_->admin(), 2);
  EXPECT_EQ(SumSamples(samples, "switchboard_tokens_total", {{"routed_model", "up"}, {"direction", "completion"}}), 12);
  EXPECT_EQ(SumSamples(samples, "switchboard_active_streams"), 0);
}

TEST_F(MetricsTest, UnknownModelNamesShareOneSeries) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  ASSERT_EQ(PostChat(ChatRequest("no-such-model-0")).status, 404);
  size_t before = SeriesCount(ScrapeWhenCounted(client_, dataplane_->admin(), 1));
  for (int i = 1; i < 1000; ++i) {
    HttpResponse response = PostChat(ChatRequest("no-such-model-" + std::to_string(i)));
    ASSERT_EQ(response.status, 404) << response.body;
  }
  auto samples = ScrapeWhenCounted(client_, dataplane_->admin(), 1000);
  EXPECT_EQ(SeriesCount(samples), before);
  EXPECT_EQ(SumSamples(samples, "switchboard_requests_total", {{"requested_model", "(unknown)"}}), 1000);
  for (const auto& sample : samples) {
    for (const auto& [key, value] : sample.labels) {
      EXPECT_EQ(value.find("no-such-model"), std::string::npos) << sample.name << " " << key << "=" << value;
    }
  }
}

TEST_F(MetricsTest, PromtoolAcceptsTheOutputAfterTraffic) {
  ServeWithUsage(upstream_);
  ASSERT_NO_FATAL_FAILURE(StartStandard(WithRandom("up: 2, triv: 1")));
  for (int i = 0; i < 10; ++i) PostChat(ChatRequest("pick"));
  PostChat(ChatRequest("nope"));
  PostChat({{"model", 1}});
  HttpResponse response = client_.Get(dataplane_->admin(), "/metrics");
  ASSERT_EQ(response.status, 200);
  CommandResult check = PromtoolCheckMetrics(response.body);
  EXPECT_EQ(check.exit_code, 0) << check.output;
}

TEST_F(MetricsTest, WeightsAndVersionFollowAConfigReload) {
  ASSERT_NO_FATAL_FAILURE(StartStandard(WithRandom("up: 1, local: 3")));
  auto samples = Scrape(client_, dataplane_->admin());
  EXPECT_EQ(SumSamples(samples, "switchboard_route_weight", {{"random_model", "pick"}, {"target", "local"}}), 3);

  dir_.WriteFile("config.yaml", StandardConfig(upstream_, WithRandom("up: 5, triv: 2")));
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (SumSamples(samples, "switchboard_config_version") != 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);  // polling interval, not a wait that must pass
    samples = Scrape(client_, dataplane_->admin());
  }
  ASSERT_EQ(SumSamples(samples, "switchboard_config_version"), 2) << "the reload was not applied within 5 s";
  EXPECT_EQ(SumSamples(samples, "switchboard_route_weight", {{"random_model", "pick"}, {"target", "up"}}), 5);
  EXPECT_EQ(SumSamples(samples, "switchboard_route_weight", {{"random_model", "pick"}, {"target", "triv"}}), 2);
  EXPECT_EQ(SumSamples(samples, "switchboard_route_weight", {{"target", "local"}}), 0);  // gone, not stale
  EXPECT_EQ(SumSamples(samples, "switchboard_config_updates_total", {{"result", "accepted"}}), 2);

  dir_.WriteFile("config.yaml", "modelProviders: {broken: {type: nope}}\n");
  deadline = std::chrono::steady_clock::now() + kWait;
  while (SumSamples(samples, "switchboard_config_updates_total", {{"result", "rejected"}}) != 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    samples = Scrape(client_, dataplane_->admin());
  }
  EXPECT_EQ(SumSamples(samples, "switchboard_config_updates_total", {{"result", "rejected"}}), 1);
  EXPECT_EQ(SumSamples(samples, "switchboard_config_version"), 2);
}

}  // namespace
}  // namespace switchboard::testing
