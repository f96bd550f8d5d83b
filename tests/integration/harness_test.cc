// Self-tests of the integration harness: the fake upstream and the test client
// against each other, plain and TLS, and the process runner against a shell
// script. If these fail, the data-plane tests mean nothing.

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/harness/fake_upstream.h"
#include "tests/integration/harness/http_client.h"
#include "tests/integration/harness/process.h"
#include "tests/integration/harness/temp_dir.h"
#include "tests/integration/harness/test_ca.h"

namespace switchboard::testing {
namespace {

using namespace std::chrono_literals;
using Kind = SseItem::Kind;

constexpr auto kWait = 5s;

void ExpectItem(const SseItem& item, Kind kind, const std::string& text) {
  EXPECT_EQ(SseKindName(item.kind), SseKindName(kind)) << item.text;
  EXPECT_EQ(item.text, text);
}

// Streams three events; the second and third each wait for their gate.
Handler GatedStream(Gate second, Gate third) {
  return [second, third](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, {{"Content-Type", "text/event-stream"}});
    writer.WriteChunk(SseEvent("one"));
    if (!writer.Await(second, kWait)) return;
    writer.WriteChunk(SseEvent("two"));
    if (!writer.Await(third, kWait)) return;
    writer.WriteChunk(SseEvent("three") + SseEvent("[DONE]"));
    writer.EndStream();
  };
}

TEST(FakeUpstreamTest, RecordsRequestAndClientSeesResponse) {
  FakeUpstream upstream;
  upstream.SetHandler([](const RecordedRequest& request, ResponseWriter& writer) {
    writer.Send(201, {{"Content-Type", "text/plain"}, {"X-Echo", request.target}}, "made");
  });
  HttpClient client;
  HttpResponse response =
      client.Request("POST", upstream.host_port(), "/v1/things?x=1", R"({"a":1})", {{"Authorization", "Bearer k"}});
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "made");
  EXPECT_EQ(response.Header("x-echo"), "/v1/things?x=1");

  ASSERT_TRUE(upstream.WaitForRequests(1, kWait));
  RecordedRequest request = upstream.Requests().at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/v1/things?x=1");
  EXPECT_EQ(request.Header("authorization"), "Bearer k");
  EXPECT_EQ(request.Header("Content-Type"), "application/json");
  EXPECT_EQ(request.Json(), nlohmann::json({{"a", 1}}));
}

TEST(FakeUpstreamTest, HandlerWithoutAnswerGives500) {
  FakeUpstream upstream;
  upstream.SetHandler([](const RecordedRequest&, ResponseWriter&) {});
  HttpResponse response = HttpClient().Get(upstream.host_port(), "/");
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 500);
}

TEST(FakeUpstreamTest, KeepAliveServesTwoRequestsOnOneConnection) {
  FakeUpstream upstream;
  auto connection = HttpClient().Connect(upstream.host_port());
  ASSERT_EQ(connection->error(), "");
  HttpResponse first = connection->Request("GET", "/a");
  HttpResponse second = connection->Request("GET", "/b");
  ASSERT_TRUE(first.ok()) << first.error;
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(second.status, 200);
  auto requests = upstream.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].connection, requests[1].connection);
  EXPECT_EQ(upstream.connections_accepted(), 1);
}

TEST(FakeUpstreamTest, ConnectionCloseIsAnsweredAndHonoured) {
  FakeUpstream upstream;
  auto connection = HttpClient().Connect(upstream.host_port());
  HttpResponse response = connection->Request("GET", "/", "", {{"Connection", "close"}});
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.Header("Connection"), "close");
  EXPECT_TRUE(connection->WaitClosedByServer(kWait));
}

TEST(FakeUpstreamTest, GatedStreamDeliversEachEventBeforeTheNextIsAllowed) {
  FakeUpstream upstream;
  Gate second, third;
  upstream.SetHandler(GatedStream(second, third));
  auto stream = HttpClient().Stream("GET", upstream.host_port(), "/events");
  ASSERT_TRUE(stream->head().ok()) << stream->head().error;
  EXPECT_EQ(stream->head().status, 200);
  EXPECT_EQ(stream->head().Header("Content-Type"), "text/event-stream");

  ExpectItem(stream->Next(kWait), Kind::kData, "one");
  EXPECT_FALSE(second.IsOpen());
  second.Open();
  ExpectItem(stream->Next(kWait), Kind::kData, "two");
  third.Open();
  ExpectItem(stream->Next(kWait), Kind::kData, "three");
  ExpectItem(stream->Next(kWait), Kind::kData, "[DONE]");
  ExpectItem(stream->Next(kWait), Kind::kEnd, "");
}

TEST(FakeUpstreamTest, CloseDelimitedStreamEndsAtClose) {
  FakeUpstream upstream;
  upstream.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, {{"Content-Type", "text/event-stream"}}, Framing::kCloseDelimited);
    writer.WriteChunk(SseEvent("a"));
    writer.WriteChunk(SseEvent("b"));
    writer.EndStream();
  });
  auto stream = HttpClient().Stream("GET", upstream.host_port(), "/");
  ExpectItem(stream->Next(kWait), Kind::kData, "a");
  ExpectItem(stream->Next(kWait), Kind::kData, "b");
  ExpectItem(stream->Next(kWait), Kind::kEnd, "");
}

TEST(SseParsingTest, CommentsMultiLineDataAndCrLf) {
  FakeUpstream upstream;
  upstream.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, {{"Content-Type", "text/event-stream"}});
    writer.WriteChunk(": keep-alive\n\n");
    // One event split across chunks, with CRLF line ends and two data lines.
    writer.WriteChunk("event: x\r\ndata: line1\r\nda");
    writer.WriteChunk("ta:line2\r\n\r\n");
    writer.EndStream();
  });
  auto stream = HttpClient().Stream("GET", upstream.host_port(), "/");
  ExpectItem(stream->Next(kWait), Kind::kComment, " keep-alive");
  ExpectItem(stream->Next(kWait), Kind::kData, "line1\nline2");
  ExpectItem(stream->Next(kWait), Kind::kEnd, "");
}

TEST(SseParsingTest, SkippingCommentsIsBoundedByItsTimeout) {
  FakeUpstream upstream;
  upstream.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, {{"Content-Type", "text/event-stream"}});
    while (writer.WriteChunk(": ping\n\n") && writer.Delay(20ms)) {
    }
  });
  auto stream = HttpClient().Stream("GET", upstream.host_port(), "/");
  int comments = 0;
  SseItem item = stream->NextSkippingComments(300ms, &comments);
  EXPECT_EQ(SseKindName(item.kind), "error") << item.text;
  EXPECT_GT(comments, 1);
}

TEST(FakeUpstreamTest, AbortMidStreamIsAnErrorForTheClient) {
  for (AbortMode mode : {AbortMode::kReset, AbortMode::kClose}) {
    FakeUpstream upstream;
    upstream.SetHandler([mode](const RecordedRequest&, ResponseWriter& writer) {
      writer.StartStream(200, {{"Content-Type", "text/event-stream"}});
      writer.WriteChunk(SseEvent("first"));
      writer.Abort(mode);
    });
    auto stream = HttpClient().Stream("GET", upstream.host_port(), "/");
    ExpectItem(stream->Next(kWait), Kind::kData, "first");
    SseItem after = stream->Next(kWait);
    EXPECT_EQ(SseKindName(after.kind), "error") << after.text;
    // The fake's own abort is not a client hang-up.
    EXPECT_EQ(upstream.disconnects(), 0);
  }
}

TEST(FakeUpstreamTest, DetectsClientHangUpDuringResponse) {
  // Declared before the fake, so they outlive its handler thread.
  std::atomic<bool> await_result{true};
  std::atomic<bool> handler_done{false};
  FakeUpstream upstream;
  Gate never;
  upstream.SetHandler([never, &await_result, &handler_done](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, {{"Content-Type", "text/event-stream"}});
    writer.WriteChunk(SseEvent("first"));
    await_result = writer.Await(never, 30s);
    handler_done = true;
  });
  auto stream = HttpClient().Stream("GET", upstream.host_port(), "/");
  ExpectItem(stream->Next(kWait), Kind::kData, "first");
  EXPECT_EQ(upstream.disconnects(), 0);
  stream->Close();
  EXPECT_TRUE(upstream.WaitForDisconnect(1s));
  // The handler's wait ends with the hang-up rather than its 30 s timeout.
  auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!handler_done && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(handler_done);
  EXPECT_FALSE(await_result);
}

TEST(FakeUpstreamTest, NoHangUpCountedAfterACompleteResponse) {
  FakeUpstream upstream;
  {
    auto connection = HttpClient().Connect(upstream.host_port());
    ASSERT_TRUE(connection->Request("GET", "/").ok());
  }
  EXPECT_FALSE(upstream.WaitForDisconnect(300ms));
}

TEST(FakeUpstreamTest, SlowUpstreamHitsTheClientTimeout) {
  FakeUpstream upstream;
  upstream.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    if (writer.Delay(5s)) writer.SendJson(200, {{"late", true}});
  });
  ClientOptions options;
  options.timeout = 200ms;
  HttpResponse response = HttpClient(options).Get(upstream.host_port(), "/");
  EXPECT_FALSE(response.ok());
  EXPECT_NE(response.error.find("timed out"), std::string::npos) << response.error;
}

TEST(HttpClientTest, ConnectErrorIsReported) {
  int port;
  {
    FakeUpstream closed;
    port = closed.port();
  }
  HttpResponse response = HttpClient().Get("127.0.0.1:" + std::to_string(port), "/");
  EXPECT_FALSE(response.ok());
  EXPECT_EQ(response.status, 0);
  EXPECT_NE(response.error.find("connect"), std::string::npos) << response.error;
}

class TlsTest : public ::testing::Test {
 protected:
  TestCa ca_;
  ClientOptions TrustingClient() {
    ClientOptions options;
    options.tls = true;
    options.ca_file = ca_.ca_file();
    return options;
  }
};

TEST_F(TlsTest, ClientTrustingTheCaTalksToTlsUpstreamByNameAndIp) {
  CertFiles leaf = ca_.IssueLeaf("localhost", {"localhost", "127.0.0.1"});
  FakeUpstream upstream(TlsOptions{leaf.cert, leaf.key});
  HttpClient client(TrustingClient());
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    HttpResponse response = client.Get(host + ":" + std::to_string(upstream.port()), "/v1/models");
    ASSERT_TRUE(response.ok()) << host << ": " << response.error;
    EXPECT_EQ(response.status, 200);
  }
  EXPECT_EQ(upstream.Requests().size(), 2u);
}

TEST_F(TlsTest, TlsStreamingWorks) {
  CertFiles leaf = ca_.IssueLeaf("localhost", {"localhost", "127.0.0.1"});
  FakeUpstream upstream(TlsOptions{leaf.cert, leaf.key});
  Gate second, third;
  upstream.SetHandler(GatedStream(second, third));
  auto stream = HttpClient(TrustingClient()).Stream("GET", upstream.host_port(), "/");
  ExpectItem(stream->Next(kWait), Kind::kData, "one");
  second.Open();
  third.Open();
  ExpectItem(stream->Next(kWait), Kind::kData, "two");
  ExpectItem(stream->Next(kWait), Kind::kData, "three");
  ExpectItem(stream->Next(kWait), Kind::kData, "[DONE]");
  ExpectItem(stream->Next(kWait), Kind::kEnd, "");
}

TEST_F(TlsTest, ClientRejectsCertificateForAnotherName) {
  CertFiles leaf = ca_.IssueLeaf("wrong", {"wrong.example"});
  FakeUpstream upstream(TlsOptions{leaf.cert, leaf.key});
  HttpResponse response = HttpClient(TrustingClient()).Get("localhost:" + std::to_string(upstream.port()), "/");
  EXPECT_FALSE(response.ok());
  EXPECT_NE(response.error.find("TLS handshake"), std::string::npos) << response.error;
  EXPECT_TRUE(upstream.Requests().empty());
}

TEST_F(TlsTest, ClientWithoutTheCaRejectsTheUpstream) {
  CertFiles leaf = ca_.IssueLeaf("localhost", {"localhost", "127.0.0.1"});
  FakeUpstream upstream(TlsOptions{leaf.cert, leaf.key});
  ClientOptions options;
  options.tls = true;
  // An empty CA file path keeps OpenSSL's empty default store: nothing is trusted.
  HttpResponse response = HttpClient(options).Get(upstream.host_port(), "/");
  EXPECT_FALSE(response.ok());
  EXPECT_TRUE(upstream.Requests().empty());
}

TEST(ChildProcessTest, CapturesOutputEnvironmentAndExitStatus) {
  ChildProcess child("/bin/sh", {"-c", "echo out; echo \"err $SWITCHBOARD_TEST_VAR\" >&2; exit 3"},
                     {{"SWITCHBOARD_TEST_VAR", "value"}});
  EXPECT_EQ(child.WaitExit(kWait), 3);
  EXPECT_TRUE(child.WaitForLog("err value", kWait)) << child.LogText();
  EXPECT_TRUE(child.WaitForLog("out", kWait)) << child.LogText();
}

TEST(ChildProcessTest, ReportsDeathBySignal) {
  ChildProcess child("/bin/sh", {"-c", "exec sleep 30"});
  EXPECT_EQ(child.WaitExit(100ms), std::nullopt);
  child.Terminate();
  EXPECT_EQ(child.WaitExit(kWait), 128 + 15);
}

TEST(DataPlaneProcessTest, ReadsReadyLineAndPassesTheStandardArguments) {
  TempDir dir;
  std::string script = dir.WriteFile("fake-dataplane.sh",
                                     "#!/bin/sh\n"
                                     "echo \"args: $*\" >&2\n"
                                     "echo '{\"level\":\"info\",\"msg\":\"starting\"}' >&2\n"
                                     "echo '{\"ts\":1,\"level\":\"info\",\"msg\":\"ready\","
                                     "\"api\":\"127.0.0.1:1234\",\"admin\":\"127.0.0.1:5678\"}' >&2\n"
                                     "exec sleep 30\n");
  ASSERT_EQ(chmod(script.c_str(), 0755), 0);
  DataPlaneProcess process(script, "/tmp/config.yaml");
  ASSERT_TRUE(process.WaitReady(kWait)) << process.LogText();
  EXPECT_EQ(process.api(), "127.0.0.1:1234");
  EXPECT_EQ(process.admin(), "127.0.0.1:5678");
  EXPECT_TRUE(process.WaitForLog(
      "args: --config /tmp/config.yaml --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0", kWait))
      << process.LogText();
}

TEST(DataPlaneProcessTest, WaitReadyReturnsEarlyWhenTheProcessExits) {
  DataPlaneProcess process("/bin/false", "/nonexistent.yaml");
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(process.WaitReady(30s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_EQ(process.WaitExit(kWait), 1);
}

}  // namespace
}  // namespace switchboard::testing
