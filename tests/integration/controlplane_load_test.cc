// Config pushes, and the control plane killed and restarted, while concurrent
// plain and streamed requests run: no request fails or is cut short.

#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/controlplane_fixture.h"

namespace switchboard::testing {
namespace {

using std::chrono::milliseconds;

nlohmann::json Chat(bool stream) {
  return {{"model", "pick"}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"stream", stream}};
}

bool ExpectedText(const std::string& text) { return text == kAlphaText || text == kBetaText; }

// One plain request; "" when it went as a client wants, else what went wrong.
std::string PlainRequest(const HttpClient& client, const std::string& api) {
  HttpResponse response = client.Request("POST", api, "/v1/chat/completions", Chat(false).dump());
  if (response.status != 200) return "plain: status " + std::to_string(response.status) + " " + response.error + response.body;
  nlohmann::json body = response.Json();
  if (!body.is_object() || !body["choices"][0]["message"]["content"].is_string()) return "plain: body " + response.body;
  std::string text = body["choices"][0]["message"]["content"];
  return ExpectedText(text) ? "" : "plain: unexpected text " + text;
}

// One streamed request, read to its end; "" when complete.
std::string StreamedRequest(const HttpClient& client, const std::string& api) {
  auto stream = client.Stream("POST", api, "/v1/chat/completions", Chat(true).dump());
  if (stream->head().status != 200) return "stream: status " + std::to_string(stream->head().status) + " " + stream->head().error;
  std::string text;
  bool done = false;
  for (;;) {
    SseItem item = stream->NextSkippingComments(milliseconds(10'000));
    if (item.kind == SseItem::Kind::kEnd) break;
    if (item.kind != SseItem::Kind::kData) return "stream cut: " + SseKindName(item.kind) + " " + item.text;
    if (item.text == "[DONE]") {
      done = true;
      continue;
    }
    nlohmann::json chunk = nlohmann::json::parse(item.text, nullptr, false);
    if (!chunk.is_object() || chunk.contains("error")) return "stream: bad event " + item.text;
    if (chunk["choices"].is_array() && !chunk["choices"].empty()) {
      const auto& delta = chunk["choices"][0]["delta"];
      if (delta.contains("content") && delta["content"].is_string()) text += delta["content"].get<std::string>();
    }
  }
  if (!done) return "stream: no [DONE]";
  return ExpectedText(text) ? "" : "stream: incomplete text '" + text + "'";
}

// Four clients, two per data plane, one plain and one streamed each, sending
// requests back to back until Stop(); records every request that did not go
// as a client wants.
class Load {
 public:
  Load(const HttpClient& client, const std::vector<std::string>& apis) {
    for (int i = 0; i < 4; ++i) {
      bool stream = i % 2 == 1;
      std::string api = apis[i / 2 % apis.size()];
      workers_.emplace_back([this, &client, stream, api] {
        bool counted = false;
        while (!stop_.load()) {
          std::string error = stream ? StreamedRequest(client, api) : PlainRequest(client, api);
          sent_.fetch_add(1);
          if (stream) streamed_.fetch_add(1);
          if (!error.empty()) {
            failed_.fetch_add(1);
            std::lock_guard<std::mutex> lock(mu_);
            if (failures_.size() < 10) failures_.push_back(error);
          }
          if (!counted) {
            counted = true;
            warmed_up_.fetch_add(1);
          }
        }
      });
    }
  }
  ~Load() { Stop(); }

  // True once every client has finished one request.
  bool WaitWarm(milliseconds timeout) const {
    return WaitUntil([&] { return warmed_up_.load() == static_cast<int>(workers_.size()); }, timeout);
  }
  // True once `n` more requests have finished than when called.
  bool WaitMore(int n, milliseconds timeout) const {
    int from = sent_.load();
    return WaitUntil([&] { return sent_.load() >= from + n; }, timeout);
  }
  void Stop() {
    stop_.store(true);
    for (auto& worker : workers_) {
      if (worker.joinable()) worker.join();
    }
  }
  int sent() const { return sent_.load(); }
  int streamed() const { return streamed_.load(); }
  int failed() const { return failed_.load(); }
  std::string first_failure() const {
    std::lock_guard<std::mutex> lock(mu_);
    return failures_.empty() ? "" : failures_.front();
  }

 private:
  template <typename Pred>
  static bool WaitUntil(Pred pred, milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return true;
  }

  std::atomic<bool> stop_{false};
  std::atomic<int> sent_{0}, streamed_{0}, failed_{0}, warmed_up_{0};
  mutable std::mutex mu_;
  std::vector<std::string> failures_;
  std::vector<std::thread> workers_;
};

TEST_F(ControlPlaneTest, FiftyPushesUnderConcurrentPlainAndStreamedLoadLoseNoRequest) {
  ASSERT_NO_FATAL_FAILURE(StartControlPlane(ClusterConfig()));
  auto& a = StartDataPlane("dp-a");
  auto& b = StartDataPlane("dp-b");
  ASSERT_TRUE(WaitApplied({"dp-a", "dp-b"}, 1, milliseconds(10'000)));
  ASSERT_TRUE(WaitReadyz(a, milliseconds(5000)));
  ASSERT_TRUE(WaitReadyz(b, milliseconds(5000)));

  Load load(client_, {a.api(), b.api()});
  ASSERT_TRUE(load.WaitWarm(milliseconds(10'000))) << load.first_failure();

  auto start = std::chrono::steady_clock::now();
  int sent_before = load.sent();
  uint64_t version = 1;
  int pushes = 0;
  for (int i = 0; i < 50; ++i) {
    bool even = i % 2 == 0;
    uint64_t next = SetWeights("pick", {{"alpha", even ? 0.5 : 2.0}, {"beta", even ? 2.0 : 0.5}});
    if (next != version + 1) break;
    version = next;
    ++pushes;
    // Each push lands on both replicas before the next: 50 real swaps each.
    if (!WaitApplied({"dp-a", "dp-b"}, version, milliseconds(2000))) break;
  }
  auto elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  int during = load.sent() - sent_before;
  load.Stop();

  EXPECT_EQ(pushes, 50);
  EXPECT_EQ(version, 51u);
  EXPECT_EQ(load.failed(), 0) << load.first_failure();
  EXPECT_GT(during, 0) << "requests ran while the pushes did";
  std::cout << "[ measured ] 50 pushes, each ACKed by both data planes, in " << elapsed.count() << " ms; requests "
            << load.sent() << " (" << load.streamed() << " streamed, " << during << " during the pushes), failed "
            << load.failed() << "\n";
  RecordProperty("requests_sent", load.sent());
  RecordProperty("requests_failed", load.failed());
  RecordProperty("pushes_ms", static_cast<int>(elapsed.count()));

  for (auto* dp : {&a, &b}) {
    EXPECT_TRUE(dp->WaitForLog("\"version\":51", milliseconds(1000)));
    EXPECT_FALSE(dp->WaitForLog("config rejected", milliseconds(0)));
  }
}

// The control plane is SIGKILLed while clients keep both data planes busy, and
// started again on the same address and state: no request fails, the data
// planes reconnect, and a change made after the restart reaches both.
TEST_F(ControlPlaneTest, ControlPlaneKilledAndRestartedUnderLoadLosesNoRequest) {
  ASSERT_NO_FATAL_FAILURE(StartControlPlane(ClusterConfig()));
  auto& a = StartDataPlane("dp-a");
  auto& b = StartDataPlane("dp-b");
  ASSERT_EQ(SetWeights("pick", {{"alpha", 1}, {"beta", 1}}), 2u);
  ASSERT_TRUE(WaitApplied({"dp-a", "dp-b"}, 2, milliseconds(10'000)));
  ASSERT_TRUE(WaitReadyz(a, milliseconds(5000)));
  ASSERT_TRUE(WaitReadyz(b, milliseconds(5000)));
  std::string address = controlplane_->grpc();

  Load load(client_, {a.api(), b.api()});
  ASSERT_TRUE(load.WaitWarm(milliseconds(10'000))) << load.first_failure();

  controlplane_->Kill();
  ASSERT_TRUE(controlplane_->WaitExit(milliseconds(5000)).has_value());
  for (auto* dp : {&a, &b}) {
    ASSERT_TRUE(dp->WaitForLog("control plane stream ended", milliseconds(5000))) << dp->LogText();
  }
  int sent_at_kill = load.sent();
  EXPECT_TRUE(load.WaitMore(40, milliseconds(10'000))) << "requests go on without the control plane";
  int without = load.sent() - sent_at_kill;

  ControlPlaneProcess::Options options;
  options.listen = address;
  ASSERT_NO_FATAL_FAILURE(StartControlPlane("", options));
  EXPECT_EQ(controlplane_->ready_version(), 2u) << "the state directory kept the weights";
  ASSERT_TRUE(WaitApplied({"dp-a", "dp-b"}, 2, milliseconds(15'000))) << "both reconnect";
  ASSERT_EQ(SetWeights("pick", {{"alpha", 1}, {"beta", 0.000001}}), 3u);
  ASSERT_TRUE(WaitApplied({"dp-a", "dp-b"}, 3, milliseconds(2000)));
  EXPECT_TRUE(load.WaitMore(40, milliseconds(10'000))) << "and on after the restart";
  load.Stop();

  EXPECT_EQ(load.failed(), 0) << load.first_failure();
  std::cout << "[ measured ] control plane killed and restarted under load: requests " << load.sent() << " ("
            << load.streamed() << " streamed, " << without << " while it was down), failed " << load.failed()
            << "\n";
  for (auto* dp : {&a, &b}) EXPECT_FALSE(dp->WaitForLog("config rejected", milliseconds(0)));
}

}  // namespace
}  // namespace switchboard::testing
