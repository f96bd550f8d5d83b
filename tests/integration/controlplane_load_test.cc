// 50 config pushes while concurrent plain and streamed requests run: no
// request fails or is cut short.

#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>

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

TEST_F(ControlPlaneTest, FiftyPushesUnderConcurrentPlainAndStreamedLoadLoseNoRequest) {
  ASSERT_NO_FATAL_FAILURE(StartControlPlane(ClusterConfig()));
  auto& a = StartDataPlane("dp-a");
  auto& b = StartDataPlane("dp-b");
  ASSERT_TRUE(WaitApplied({"dp-a", "dp-b"}, 1, milliseconds(10'000)));
  ASSERT_TRUE(WaitReadyz(a, milliseconds(5000)));
  ASSERT_TRUE(WaitReadyz(b, milliseconds(5000)));

  std::atomic<bool> stop{false};
  std::atomic<int> sent{0}, streamed{0}, failed{0};
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> workers;
  std::atomic<int> warmed_up{0};
  for (int i = 0; i < 4; ++i) {
    bool stream = i % 2 == 1;
    std::string api = i < 2 ? a.api() : b.api();
    workers.emplace_back([&, stream, api] {
      bool counted = false;
      while (!stop.load()) {
        std::string error = stream ? StreamedRequest(client_, api) : PlainRequest(client_, api);
        sent.fetch_add(1);
        if (stream) streamed.fetch_add(1);
        if (!error.empty()) {
          failed.fetch_add(1);
          std::lock_guard<std::mutex> lock(mu);
          if (failures.size() < 10) failures.push_back(error);
        }
        if (!counted) {
          counted = true;
          warmed_up.fetch_add(1);
        }
      }
    });
  }
  auto warm_deadline = std::chrono::steady_clock::now() + milliseconds(10'000);
  while (warmed_up.load() < 4 && std::chrono::steady_clock::now() < warm_deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }

  auto start = std::chrono::steady_clock::now();
  int sent_before = sent.load();
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
  int during = sent.load() - sent_before;
  stop.store(true);
  for (auto& worker : workers) worker.join();

  EXPECT_EQ(pushes, 50);
  EXPECT_EQ(version, 51u);
  EXPECT_EQ(failed.load(), 0) << (failures.empty() ? "" : failures.front());
  EXPECT_GT(during, 0) << "requests ran while the pushes did";
  std::cout << "[ measured ] 50 pushes, each ACKed by both data planes, in " << elapsed.count() << " ms; requests "
            << sent.load() << " (" << streamed.load() << " streamed, " << during << " during the pushes), failed "
            << failed.load() << "\n";
  RecordProperty("requests_sent", sent.load());
  RecordProperty("requests_failed", failed.load());
  RecordProperty("pushes_ms", static_cast<int>(elapsed.count()));

  for (auto* dp : {&a, &b}) {
    EXPECT_TRUE(dp->WaitForLog("\"version\":51", milliseconds(1000)));
    EXPECT_FALSE(dp->WaitForLog("config rejected", milliseconds(0)));
  }
}

}  // namespace
}  // namespace switchboard::testing
