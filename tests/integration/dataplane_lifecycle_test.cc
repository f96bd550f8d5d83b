// The data plane as a process: TLS to upstreams, config errors, the command
// line, and shutdown on SIGTERM.

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <thread>

#include "tests/integration/dataplane_fixture.h"
#include "tests/integration/harness/test_ca.h"

namespace switchboard::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Kind = SseItem::Kind;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

class TlsUpstreamTest : public DataPlaneTest {
 protected:
  TestCa ca_;
};

TEST_F(TlsUpstreamTest, TrustsTheCaNamedBySslCertFile) {
  CertFiles leaf = ca_.IssueLeaf("localhost", {"localhost", "127.0.0.1"});
  FakeUpstream tls_upstream(TlsOptions{leaf.cert, leaf.key});
  ConfigOptions options;
  options.tls_port = tls_upstream.port();
  ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_, options), {{"SSL_CERT_FILE", ca_.ca_file()}}));

  HttpResponse response = PostChat(ChatRequest("up-tls"));
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json()["choices"][0]["message"]["content"], "fake answer") << response.body;
  ASSERT_TRUE(tls_upstream.WaitForRequests(1, kWait));
  RecordedRequest seen = tls_upstream.Requests().at(0);
  EXPECT_EQ(seen.target, "/v1/chat/completions");
  EXPECT_EQ(seen.Header("Authorization"), std::string("Bearer ") + kKey);
}

void ExpectTlsFailure(const HttpResponse& response) {
  ASSERT_NO_FATAL_FAILURE(ExpectOpenAiError(response, 502));
  std::string message = Lower(ErrorMessage(response.body));
  EXPECT_TRUE(message.find("certificate") != std::string::npos || message.find("tls") != std::string::npos)
      << response.body;
}

TEST_F(TlsUpstreamTest, RejectsACertificateForAnotherName) {
  CertFiles leaf = ca_.IssueLeaf("wrong", {"wrong.example"});
  FakeUpstream tls_upstream(TlsOptions{leaf.cert, leaf.key});
  ConfigOptions options;
  options.tls_port = tls_upstream.port();
  ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_, options), {{"SSL_CERT_FILE", ca_.ca_file()}}));

  ExpectTlsFailure(PostChat(ChatRequest("up-tls")));
  EXPECT_TRUE(tls_upstream.Requests().empty());
  ExpectStillServing();
}

TEST_F(TlsUpstreamTest, RejectsAnExpiredCertificateWithoutFallingBack) {
  CertFiles leaf = ca_.IssueLeaf("expired", {"localhost", "127.0.0.1"}, /*expired=*/true);
  FakeUpstream tls_upstream(TlsOptions{leaf.cert, leaf.key});
  ConfigOptions options;
  options.tls_port = tls_upstream.port();
  ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_, options), {{"SSL_CERT_FILE", ca_.ca_file()}}));

  ExpectTlsFailure(PostChat(ChatRequest("up-tls")));
  EXPECT_TRUE(tls_upstream.Requests().empty());  // no request went out, over TLS or in the clear
  EXPECT_EQ(upstream_.Requests().size(), 0u);
  ExpectStillServing();
}

TEST_F(TlsUpstreamTest, RejectsACertificateFromAnUntrustedCa) {
  CertFiles leaf = ca_.IssueLeaf("localhost", {"localhost", "127.0.0.1"});
  FakeUpstream tls_upstream(TlsOptions{leaf.cert, leaf.key});
  TestCa other_ca;
  ConfigOptions options;
  options.tls_port = tls_upstream.port();
  ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_, options), {{"SSL_CERT_FILE", other_ca.ca_file()}}));

  ExpectTlsFailure(PostChat(ChatRequest("up-tls")));
  EXPECT_TRUE(tls_upstream.Requests().empty());
}

class ConfigErrorTest : public ::testing::Test {
 protected:
  // Runs the data plane on a config with one extra model provider, which
  // must be rejected with an error naming `path`.
  void ExpectRejected(const std::string& extra_provider, const std::string& path) {
    ConfigOptions options;
    options.extra_providers = extra_provider;
    std::string config = dir_.WriteFile("config.yaml", StandardConfig(upstream_, options));
    DataPlaneProcess process(SWITCHBOARD_DATAPLANE_BIN, config);
    EXPECT_EQ(process.WaitExit(kWait), 2) << process.LogText();

    bool named = false;
    for (const std::string& line : process.Logs()) {
      nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
      EXPECT_FALSE(parsed.is_object() && parsed["msg"] == "ready") << "it listened: " << line;
      if (!parsed.is_object() || parsed["msg"] != "config error" || !parsed["error"].is_string()) continue;
      std::string error = parsed["error"].get<std::string>();
      EXPECT_NE(error.find(config), std::string::npos) << "error does not name the file: " << line;
      named = named || error.find(path) != std::string::npos;
    }
    EXPECT_TRUE(named) << "no config error naming " << path << " in:\n" << process.LogText();
    EXPECT_TRUE(upstream_.Requests().empty());
  }

  TempDir dir_;
  FakeUpstream upstream_;
};

TEST_F(ConfigErrorTest, UnknownMemberOfARandomModelList) {
  ExpectRejected("  pick: {type: random, modelList: [nosuch, up]}\n", "modelProviders.pick.modelList[0]");
}

TEST_F(ConfigErrorTest, UnknownMemberOfRandomModelWeights) {
  ExpectRejected("  pick: {type: random, modelWeights: {up: 1, nosuch: 2}}\n",
                 "modelProviders.pick.modelWeights.nosuch");
}

TEST(CommandLineTest, HelpExitsZeroWithUsage) {
  ChildProcess process(SWITCHBOARD_DATAPLANE_BIN, {"--help"});
  EXPECT_EQ(process.WaitExit(kWait), 0);
  EXPECT_TRUE(process.WaitForLog("--config", kWait)) << process.LogText();
}

TEST(CommandLineTest, BadCommandLineExitsTwo) {
  ChildProcess unknown_flag(SWITCHBOARD_DATAPLANE_BIN, {"--no-such-flag"});
  EXPECT_EQ(unknown_flag.WaitExit(kWait), 2) << unknown_flag.LogText();
  ChildProcess no_config(SWITCHBOARD_DATAPLANE_BIN, {});
  EXPECT_EQ(no_config.WaitExit(kWait), 2) << no_config.LogText();
}

using AllocatorTest = DataPlaneTest;

// The build links mimalloc into the data plane (SWITCHBOARD_MIMALLOC, off in
// the sanitizer build); the ready line says whether malloc really is it, so a
// link-order change that silently brings back libc's malloc fails here.
TEST_F(AllocatorTest, ReadyLineNamesTheMallocInUse) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  EXPECT_EQ(dataplane_->ready_allocator(), SWITCHBOARD_EXPECTED_ALLOCATOR) << dataplane_->LogText();
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.SendJson(200, UpstreamCompletion("served"));
  });
  HttpResponse response = PostChat(ChatRequest("up"));
  ASSERT_TRUE(response.ok()) << response.error;
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json()["choices"][0]["message"]["content"], "served") << response.body;
}

using BackgroundThreadTest = DataPlaneTest;

// Beside the I/O threads a data plane on a config file runs the config watcher
// and the log writer; both run below the I/O threads, which keep nice 0.
TEST_F(BackgroundThreadTest, TheConfigWatcherAndTheLogWriterRunBelowTheIoThreads) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  std::string seen;
  EXPECT_TRUE(WaitForThreadsAtNice(dataplane_->pid(), {"config-watcher", "log-writer"}, 10, kWait, &seen)) << seen;
  std::optional<ThreadInfo> first = ThreadOf(dataplane_->pid(), dataplane_->pid());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->nice, 0);
}

using ShutdownTest = DataPlaneTest;

// Polls until a fresh connection to `host_port` is refused; "" then, else the
// last thing a probe saw.
std::string WaitUntilRefused(const std::string& host_port) {
  ClientOptions options;
  options.timeout = 1s;
  HttpClient probe(options);
  std::string last;
  auto deadline = Clock::now() + kWait;
  while (Clock::now() < deadline) {
    HttpResponse response = probe.Get(host_port, "/v1/models");
    if (!response.ok() && response.error.rfind("connect", 0) == 0) return "";
    last = response.ok() ? "HTTP " + std::to_string(response.status) : response.error;
    std::this_thread::sleep_for(10ms);
  }
  return last.empty() ? "no probe ran" : last;
}

TEST_F(ShutdownTest, SigtermLetsAnInFlightStreamFinish) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());  // shutdownGraceSeconds: 5
  Gate finish;
  upstream_.SetHandler([finish](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, {{"Content-Type", "text/event-stream"}});
    writer.WriteChunk(SseEvent(UpstreamChunk("A")));
    if (!writer.Await(finish, 10s)) return;
    writer.WriteChunk(SseEvent(UpstreamChunk("B")) + SseEvent("[DONE]"));
    writer.EndStream();
  });
  auto stream = StreamChat(ChatRequest("up", true));
  SseItem first = stream->NextSkippingComments(kWait);
  ASSERT_EQ(SseKindName(first.kind), "data") << first.text;

  dataplane_->Terminate();
  std::string refusal = WaitUntilRefused(api());
  EXPECT_EQ(refusal, "") << "new connections still accepted after SIGTERM";
  EXPECT_EQ(dataplane_->WaitExit(0ms), std::nullopt) << "exited with a stream in flight";

  finish.Open();
  auto finished_at = Clock::now();
  std::vector<std::string> data;
  SseItem item = stream->NextSkippingComments(kWait);
  for (; item.kind == Kind::kData; item = stream->NextSkippingComments(kWait)) data.push_back(item.text);
  EXPECT_EQ(SseKindName(item.kind), "end") << item.text;
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(data[0], nullptr, false), nlohmann::json::parse(UpstreamChunk("B")));
  EXPECT_EQ(data[1], "[DONE]");
  EXPECT_EQ(dataplane_->WaitExit(6s), 0);
  EXPECT_LT(Clock::now() - finished_at, 5s) << "exit took longer than the grace period";
}

TEST_F(ShutdownTest, SigtermWithAnIdleKeepAliveConnectionExitsPromptly) {
  ConfigOptions options;
  options.shutdown_grace_seconds = 20;
  ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_, options)));
  auto connection = client_.Connect(api());
  HttpResponse response = connection->Request("GET", "/v1/models");
  ASSERT_TRUE(response.ok()) << response.error;

  auto signalled_at = Clock::now();
  dataplane_->Terminate();
  // An idle connection has nothing in flight; waiting out the grace period
  // for it would stall every rolling restart.
  EXPECT_EQ(dataplane_->WaitExit(25s), 0);
  EXPECT_LT(Clock::now() - signalled_at, 5s);
  EXPECT_TRUE(connection->WaitClosedByServer(kWait));
}

TEST_F(ShutdownTest, SigtermEndsAStuckStreamAfterTheGracePeriod) {
  ConfigOptions options;
  options.shutdown_grace_seconds = 1;
  ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_, options)));
  Gate never;
  upstream_.SetHandler([never](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, {{"Content-Type", "text/event-stream"}});
    writer.WriteChunk(SseEvent(UpstreamChunk("A")));
    writer.Await(never, 30s);
  });
  auto stream = StreamChat(ChatRequest("up", true));
  SseItem first = stream->NextSkippingComments(kWait);
  ASSERT_EQ(SseKindName(first.kind), "data") << first.text;

  auto signalled_at = Clock::now();
  dataplane_->Terminate();
  EXPECT_EQ(dataplane_->WaitExit(10s), 0);
  EXPECT_LT(Clock::now() - signalled_at, 4s) << "grace period is 1 s";
  // The client's stream ends one way or another; it must not hang.
  SseItem last = stream->NextSkippingComments(kWait);
  while (last.kind == Kind::kData) last = stream->NextSkippingComments(kWait);
  EXPECT_EQ(last.text.find("timed out"), std::string::npos) << last.text;
}

}  // namespace
}  // namespace switchboard::testing
