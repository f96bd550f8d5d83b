// Client keys and limits through the real data plane: requests without a valid
// key get 401 (preflights still answer), a key's per-minute allowance gives 429
// with Retry-After, requests over the concurrency limit get 503 at once, and
// out of file descriptors the router waits and goes on rather than failing.

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/dataplane_fixture.h"

namespace switchboard::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using LimitsTest = DataPlaneTest;

constexpr const char* kClientKey = "client-secret-4c2f9a";

void AlwaysOk(FakeUpstream& upstream) {
  upstream.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.SendJson(200, UpstreamCompletion("ok"));
  });
}

TEST_F(LimitsTest, ClientKeysAreRequiredWhenConfigured) {
  AlwaysOk(upstream_);
  TempDir keys;
  std::string key_file = keys.WriteFile("phone.key", "phone-key-77aa01\n");
  ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_) +
                                    "clientKeys:\n"
                                    "  laptop: {envVar: SB_CLIENT_KEY}\n"
                                    "  phone: {file: \"" + key_file + "\"}\n",
                                {{"SB_CLIENT_KEY", kClientKey}}));
  std::string body = ChatRequest("up").dump();

  HttpResponse none = client_.Request("POST", api(), "/v1/chat/completions", body);
  ExpectOpenAiError(none, 401);
  EXPECT_NE(ErrorMessage(none.body).find("needs an API key"), std::string::npos) << none.body;
  EXPECT_EQ(none.Header("Access-Control-Allow-Origin").value_or(""), "*");  // the browser may read the error

  HttpResponse wrong =
      client_.Request("POST", api(), "/v1/chat/completions", body, {{"Authorization", "Bearer client-secret-4c2f9b"}});
  ExpectOpenAiError(wrong, 401);
  EXPECT_EQ(ErrorMessage(wrong.body), "Incorrect API key provided.");
  ExpectOpenAiError(client_.Request("GET", api(), "/v1/models"), 401);

  EXPECT_EQ(client_.Request("POST", api(), "/v1/chat/completions", body,
                            {{"Authorization", std::string("Bearer ") + kClientKey}})
                .status,
            200);
  EXPECT_EQ(client_.Request("POST", api(), "/janitorai", body, {{"X-API-Key", kClientKey}}).status, 200);
  EXPECT_EQ(client_.Request("GET", api(), "/v1/models", "", {{"Authorization", "bearer phone-key-77aa01"}}).status,
            200);

  // A browser's preflight carries no credentials: it is answered anyway.
  HttpResponse preflight = client_.Request("OPTIONS", api(), "/janitorai", "",
                                           {{"Origin", "https://janitorai.com"},
                                            {"Access-Control-Request-Method", "POST"},
                                            {"Access-Control-Request-Headers", "authorization,content-type"}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(upstream_.Requests().size(), 2u);
  EXPECT_EQ(dataplane_->LogText().find(kClientKey), std::string::npos);
}

TEST_F(LimitsTest, AClientKeysRequestsPerMinute) {
  AlwaysOk(upstream_);
  ASSERT_NO_FATAL_FAILURE(
      Start(StandardConfig(upstream_) + "clientKeys:\n  me: {key: " + kClientKey + ", requestsPerMinute: 3}\n"));
  Headers auth = {{"Authorization", std::string("Bearer ") + kClientKey}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(client_.Request("POST", api(), "/v1/chat/completions", ChatRequest("up").dump(), auth).status, 200);
  }
  HttpResponse limited = client_.Request("POST", api(), "/v1/chat/completions", ChatRequest("up").dump(), auth);
  ExpectOpenAiError(limited, 429);
  int retry_after = std::atoi(limited.Header("Retry-After").value_or("0").c_str());
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 20);  // one request every 20 s
  EXPECT_EQ(upstream_.Requests().size(), 3u);
}

TEST_F(LimitsTest, OverTheConcurrencyLimitIs503AtOnce) {
  Gate release;
  upstream_.SetHandler([release](const RecordedRequest&, ResponseWriter& writer) {
    if (!writer.Await(release, kWait)) return;
    writer.SendJson(200, UpstreamCompletion("ok"));
  });
  ConfigOptions options;
  std::string yaml = StandardConfig(upstream_, options);
  yaml.replace(yaml.find("server: {"), 9, "server: {maxConcurrentRequests: 2, ");
  ASSERT_NO_FATAL_FAILURE(Start(yaml));
  auto first = client_.Stream("POST", api(), "/v1/chat/completions", ChatRequest("up", true).dump());
  auto second = client_.Stream("POST", api(), "/v1/chat/completions", ChatRequest("up", true).dump());
  ASSERT_TRUE(upstream_.WaitForRequests(2, kWait));
  HttpResponse third = PostChat(ChatRequest("up"));
  ExpectOpenAiError(third, 503);
  EXPECT_EQ(third.Header("Retry-After").value_or(""), "1");
  release.Open();
  EXPECT_EQ(SseKindName(first->NextSkippingComments(kWait).kind), "data");
  EXPECT_EQ(SseKindName(second->NextSkippingComments(kWait).kind), "data");
  first->Close();
  second->Close();
  // Capacity comes back once they end.
  auto deadline = std::chrono::steady_clock::now() + kWait;
  int status = 0;
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    status = PostChat(ChatRequest("up")).status;
    if (status != 200) std::this_thread::sleep_for(10ms);  // polling interval
  }
  EXPECT_EQ(status, 200);
}

// The descriptor numbers process `pid` has open.
std::set<rlim_t> OpenDescriptors(pid_t pid) {
  std::set<rlim_t> used;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    used.insert(static_cast<rlim_t>(std::stoull(entry.path().filename().string())));
  }
  return used;
}

// The lowest descriptor number process `pid` does not use: a new descriptor
// takes the lowest free number, and RLIMIT_NOFILE bounds the number.
rlim_t LowestFreeFd(pid_t pid) {
  const std::set<rlim_t> used = OpenDescriptors(pid);
  rlim_t fd = 0;
  while (used.count(fd) != 0) ++fd;
  return fd;
}

// The sanitizer runtime needs descriptors of its own (a pipe to probe memory
// when a dynamic-type check misses its cache, its log file) and, with none
// left, reports a false error and halts the router (halt_on_error): the
// out-of-descriptor tests run in the plain build, where CI runs them too.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif
constexpr const char* kSanitizerNeedsDescriptors =
    "the sanitizer runtime itself needs file descriptors; this runs in the plain build";

// True once process `pid` has `count` descriptors open, false on timeout.
bool WaitForDescriptors(pid_t pid, size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (OpenDescriptors(pid).size() != count) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(1ms);  // polling interval
  }
  return true;
}

// Lowers process `pid`'s descriptor limit to leave it `spare` descriptors;
// `saved` gets the limit to restore. False (and a test failure) if it cannot.
bool LeaveDescriptors(pid_t pid, rlim_t spare, rlimit& saved) {
  if (prlimit(pid, RLIMIT_NOFILE, nullptr, &saved) != 0) {
    ADD_FAILURE() << "prlimit: " << std::strerror(errno);
    return false;
  }
  rlimit lowered{LowestFreeFd(pid) + spare, saved.rlim_max};
  if (prlimit(pid, RLIMIT_NOFILE, &lowered, nullptr) != 0) {
    ADD_FAILURE() << "prlimit: " << std::strerror(errno);
    return false;
  }
  return true;
}

// Out of file descriptors (a homelab's low `ulimit -n`): a client that
// arrives then waits in the listen queue instead of failing, is served once
// the router has a descriptor again, and the router retries its accept every
// 50 ms, not in a busy loop, with a warning every 10 s, not one per try.
TEST_F(LimitsTest, AClientArrivingWhileTheRouterIsOutOfFileDescriptorsIsServedOnceOneIsFree) {
  if (kSanitizerBuild) GTEST_SKIP() << kSanitizerNeedsDescriptors;
  AlwaysOk(upstream_);
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  const pid_t pid = dataplane_->pid();
  rlimit saved{};
  ASSERT_TRUE(LeaveDescriptors(pid, 0, saved));
  const auto started = std::chrono::steady_clock::now();

  auto waiting = std::async(std::launch::async, [this] { return PostChat(ChatRequest("up")).status; });
  EXPECT_TRUE(dataplane_->WaitForLog("accept failed", kWait)) << dataplane_->LogText();
  EXPECT_EQ(waiting.wait_for(0s), std::future_status::timeout) << "answered without a descriptor";

  ASSERT_EQ(prlimit(pid, RLIMIT_NOFILE, &saved, nullptr), 0);
  ASSERT_EQ(waiting.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(waiting.get(), 200);
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  const auto logs = dataplane_->Logs();
  const auto failures = std::count_if(logs.begin(), logs.end(),
                                      [](const std::string& line) { return line.find("accept failed") != std::string::npos; });
  // The first failure, then one warning every 10 s while they go on.
  EXPECT_LE(failures, elapsed_ms / 10'000 + 1) << failures << " failed accepts logged in " << elapsed_ms << " ms";
}

// One descriptor left: the client's connection takes it, and the upstream
// connection finds none. That request fails with an OpenAI-style error; the
// router lives on and serves the next one once descriptors are back.
TEST_F(LimitsTest, AnUpstreamConnectionWithoutAFileDescriptorFailsThatRequestOnly) {
  if (kSanitizerBuild) GTEST_SKIP() << kSanitizerNeedsDescriptors;
  AlwaysOk(upstream_);
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  const pid_t pid = dataplane_->pid();
  rlimit saved{};
  ASSERT_TRUE(LeaveDescriptors(pid, 1, saved));
  rlimit lowered{};
  ASSERT_EQ(prlimit(pid, RLIMIT_NOFILE, nullptr, &lowered), 0);
  ASSERT_EQ(LowestFreeFd(pid) + 1, lowered.rlim_cur) << "the router opened or closed a descriptor meanwhile";
  HttpResponse failed = PostChat(ChatRequest("up"));
  ASSERT_NO_FATAL_FAILURE(ExpectOpenAiError(failed, 502));
  ASSERT_EQ(prlimit(pid, RLIMIT_NOFILE, &saved, nullptr), 0);
  EXPECT_EQ(PostChat(ChatRequest("up")).status, 200);
  EXPECT_FALSE(dataplane_->WaitExit(0ms).has_value()) << dataplane_->LogText();
}

// Starts the router (one I/O thread: one connection pool) with a second
// upstream behind the model "up-other", and leaves an idle connection to each
// upstream in `models`. The client's connection stays open: a descriptor
// limit is a bound on descriptor numbers, and the idle connections' numbers
// must be below it, not above a gap where the client's was.
class IdleConnectionsTest : public LimitsTest {
 protected:
  void StartWithIdleConnections(const std::vector<std::string>& models) {
    AlwaysOk(upstream_);
    AlwaysOk(other_);
    ConfigOptions options;
    options.extra_providers = "  up-other: {type: genericoai, url: \"http://" + other_.host_port() +
                              "/v1\", modelName: other-model}\n";
    ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_, options), {}, {"--threads", "1"}));
    const size_t before = OpenDescriptors(dataplane_->pid()).size();
    client_connection_ = client_.Connect(api());
    ASSERT_TRUE(client_connection_->error().empty()) << client_connection_->error();
    for (const std::string& model : models) {
      ASSERT_EQ(client_connection_->Request("POST", "/v1/chat/completions", ChatRequest(model).dump()).status, 200);
    }
    const size_t open = before + 1 + models.size();
    ASSERT_TRUE(WaitForDescriptors(dataplane_->pid(), open, kWait))
        << OpenDescriptors(dataplane_->pid()).size() << " descriptors open, not " << open;
  }

  FakeUpstream other_;
  std::unique_ptr<HttpConnection> client_connection_;
};

// Out of descriptors with upstream connections idle: they are closed to make
// room, and a client arriving then is served at once instead of waiting for
// a descriptor to come free some other way.
TEST_F(IdleConnectionsTest, OutOfDescriptorsTheIdleUpstreamConnectionsMakeRoomForAClient) {
  if (kSanitizerBuild) GTEST_SKIP() << kSanitizerNeedsDescriptors;
  ASSERT_NO_FATAL_FAILURE(StartWithIdleConnections({"up", "up-other"}));
  const pid_t pid = dataplane_->pid();
  rlimit saved{};
  ASSERT_TRUE(LeaveDescriptors(pid, 0, saved));

  // The client's connection takes one of the two descriptors, the new
  // connection to "up" the other.
  auto waiting = std::async(std::launch::async, [this] { return PostChat(ChatRequest("up")).status; });
  const bool answered = waiting.wait_for(kWait) == std::future_status::ready;
  ASSERT_EQ(prlimit(pid, RLIMIT_NOFILE, &saved, nullptr), 0);
  ASSERT_TRUE(answered) << "the client waited for a descriptor";
  EXPECT_EQ(waiting.get(), 200);
  EXPECT_TRUE(dataplane_->WaitForLog("closed idle upstream connections", kWait)) << dataplane_->LogText();
}

// One descriptor left, taken by the client: the new upstream connection the
// request needs gets the descriptor of an idle one to another upstream.
TEST_F(IdleConnectionsTest, OutOfDescriptorsAnIdleConnectionToAnotherUpstreamMakesRoomForANewOne) {
  if (kSanitizerBuild) GTEST_SKIP() << kSanitizerNeedsDescriptors;
  ASSERT_NO_FATAL_FAILURE(StartWithIdleConnections({"up-other"}));
  const pid_t pid = dataplane_->pid();
  rlimit saved{};
  ASSERT_TRUE(LeaveDescriptors(pid, 1, saved));
  HttpResponse response = PostChat(ChatRequest("up"));
  ASSERT_EQ(prlimit(pid, RLIMIT_NOFILE, &saved, nullptr), 0);
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_TRUE(dataplane_->WaitForLog("closed idle upstream connections", kWait)) << dataplane_->LogText();
  EXPECT_EQ(upstream_.connections_accepted(), 1);
}

}  // namespace
}  // namespace switchboard::testing
