// Streamed chat completions as a client sees them: events relayed as they
// arrive, keep-alive comments, [DONE], client hang-ups, upstream faults.

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/dataplane_fixture.h"

namespace switchboard::testing {
namespace {

using namespace std::chrono_literals;
using Kind = SseItem::Kind;
using StreamTest = DataPlaneTest;

const Headers kSseHeaders = {{"Content-Type", "text/event-stream"}};

SseItem NextNonComment(SseStream& stream) { return stream.NextSkippingComments(kWait); }

// Expects a data event whose payload is JSON equal to `expected_json`.
void ExpectDataJson(const SseItem& item, const std::string& expected_json) {
  ASSERT_EQ(SseKindName(item.kind), "data") << item.text;
  EXPECT_EQ(nlohmann::json::parse(item.text, nullptr, false), nlohmann::json::parse(expected_json)) << item.text;
}

void ExpectData(const SseItem& item, const std::string& text) {
  EXPECT_EQ(SseKindName(item.kind), "data") << item.text;
  EXPECT_EQ(item.text, text);
}

void ExpectEnd(const SseItem& item) { EXPECT_EQ(SseKindName(item.kind), "end") << item.text; }

void ExpectSseHead(const SseStream& stream) {
  ASSERT_TRUE(stream.head().ok()) << stream.head().error;
  EXPECT_EQ(stream.head().status, 200);
  EXPECT_EQ(stream.head().Header("Content-Type").value_or("").rfind("text/event-stream", 0), 0u)
      << stream.head().Header("Content-Type").value_or("(none)");
}

// A whole stream: the head, one event per upstream chunk of `contents` (in
// order), [DONE] and the end.
void ExpectWholeStream(SseStream& stream, const std::vector<std::string>& contents) {
  ASSERT_NO_FATAL_FAILURE(ExpectSseHead(stream));
  for (const std::string& content : contents) ExpectDataJson(NextNonComment(stream), UpstreamChunk(content));
  ExpectData(NextNonComment(stream), "[DONE]");
  ExpectEnd(NextNonComment(stream));
}

// The client left at `left_at`; its upstream connection must close within a
// second. On failure, says how late it closed: a slow close and no close at
// all are different bugs.
void ExpectUpstreamClosedWithinASecond(const FakeUpstream& upstream, std::chrono::steady_clock::time_point left_at) {
  if (upstream.WaitForDisconnect(1s)) return;
  bool later = upstream.WaitForDisconnect(10s);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - left_at);
  ADD_FAILURE() << "the upstream connection outlived the client by over 1 s: "
                << (later ? "closed after " + std::to_string(elapsed.count()) + " ms" : "still open after 11 s");
}

TEST_F(StreamTest, EventsArriveAsTheUpstreamSendsThem) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  Gate second, third;
  upstream_.SetHandler([second, third](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, kSseHeaders);
    writer.WriteChunk(SseEvent(UpstreamChunk("A")));
    if (!writer.Await(second, kWait)) return;
    writer.WriteChunk(SseEvent(UpstreamChunk("B")));
    if (!writer.Await(third, kWait)) return;
    writer.WriteChunk(SseEvent(UpstreamChunk("C")) + SseEvent("[DONE]"));
    writer.EndStream();
  });

  auto stream = StreamChat(ChatRequest("up", true));
  ASSERT_NO_FATAL_FAILURE(ExpectSseHead(*stream));
  // Each event reaches the client while the upstream is still held back.
  ExpectDataJson(NextNonComment(*stream), UpstreamChunk("A"));
  second.Open();
  ExpectDataJson(NextNonComment(*stream), UpstreamChunk("B"));
  third.Open();
  ExpectDataJson(NextNonComment(*stream), UpstreamChunk("C"));
  ExpectData(NextNonComment(*stream), "[DONE]");
  ExpectEnd(NextNonComment(*stream));

  ASSERT_TRUE(upstream_.WaitForRequests(1, kWait));
  nlohmann::json sent = upstream_.Requests().at(0).Json();
  EXPECT_EQ(sent["stream"], true) << sent.dump();
  EXPECT_EQ(sent["model"], "upstream-model") << sent.dump();
}

// Our head waits for the upstream's first events only while they are already
// in hand (to go out in one write with them): an upstream that sends its head
// and then half an event, or nothing, and thinks has the client see our head
// at once.
TEST_F(StreamTest, TheHeadIsNotHeldWhileTheUpstreamsFirstEventIsIncomplete) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  const std::string event = SseEvent(UpstreamChunk("thought"));
  const size_t half = event.size() / 2;
  for (bool send_half : {true, false}) {
    SCOPED_TRACE(send_half ? "head and half an event" : "head alone");
    Gate rest;
    upstream_.SetHandler([rest, event, half, send_half](const RecordedRequest&, ResponseWriter& writer) {
      writer.StartStream(200, kSseHeaders);
      if (send_half && !writer.WriteChunk(event.substr(0, half))) return;
      if (!writer.Await(rest, kWait)) return;
      writer.WriteChunk((send_half ? event.substr(half) : event) + SseEvent("[DONE]"));
      writer.EndStream();
    });
    auto stream = StreamChat(ChatRequest("up", true));
    // The upstream is still held back here.
    ASSERT_NO_FATAL_FAILURE(ExpectSseHead(*stream));
    rest.Open();
    ExpectDataJson(NextNonComment(*stream), UpstreamChunk("thought"));
    ExpectData(NextNonComment(*stream), "[DONE]");
    ExpectEnd(NextNonComment(*stream));
  }
}

// More than the sockets between the router and the client hold: the router's
// writes to the client fill its send buffer and go on as the client reads.
TEST_F(StreamTest, ALargeStreamArrivesWholeAndInOrderThroughAFullSocket) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  constexpr int kEvents = 4000;
  const std::string filler(4000, 'x');
  upstream_.SetHandler([&filler](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, kSseHeaders);
    std::string batch;
    for (int i = 0; i < kEvents; ++i) {
      batch += SseEvent(UpstreamChunk(std::to_string(i) + ":" + filler));
      if (batch.size() > (256 << 10)) {
        if (!writer.WriteChunk(batch)) return;
        batch.clear();
      }
    }
    writer.WriteChunk(batch + SseEvent("[DONE]"));
    writer.EndStream();
  });

  auto stream = StreamChat(ChatRequest("up", true));
  ASSERT_NO_FATAL_FAILURE(ExpectSseHead(*stream));
  for (int i = 0; i < kEvents; ++i) {
    SseItem item = NextNonComment(*stream);
    ASSERT_EQ(SseKindName(item.kind), "data") << "event " << i << ": " << item.text.substr(0, 200);
    auto chunk = nlohmann::json::parse(item.text, nullptr, false);
    ASSERT_FALSE(chunk.is_discarded()) << "event " << i;
    ASSERT_EQ(chunk["choices"][0]["delta"]["content"], std::to_string(i) + ":" + filler) << "event " << i;
  }
  ExpectData(NextNonComment(*stream), "[DONE]");
  ExpectEnd(NextNonComment(*stream));
}

// A client with a small receive window (64 KiB) and an event larger than any
// socket buffer (6 MiB; Linux's largest send buffer is 4 MiB unless tuned):
// the router's write takes part of it and holds the rest, which must go out
// while the router waits for the upstream (paused here until the client has
// the event), not with the upstream's next bytes. The upstream's idle
// timeout is raised so that a slow build's reading cannot reach it.
TEST_F(StreamTest, WhatAFullSocketDidNotTakeGoesOutWhileTheUpstreamPauses) {
  std::string config = StandardConfig(upstream_);
  const std::string idle = "idleTimeoutSeconds: 2";
  ASSERT_NE(config.find(idle), std::string::npos);
  config.replace(config.find(idle), idle.size(), "idleTimeoutSeconds: 60");
  ASSERT_NO_FATAL_FAILURE(Start(config));
  const std::string large(6 << 20, 'z');
  Gate client_has_it;
  upstream_.SetHandler([large, client_has_it](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, kSseHeaders);
    // A first event takes the response's head out with it.
    if (!writer.WriteChunk(SseEvent(UpstreamChunk("first")))) return;
    if (!writer.WriteChunk(SseEvent(UpstreamChunk(large)))) return;
    if (!writer.Await(client_has_it, kWait)) return;
    writer.WriteChunk(SseEvent("[DONE]"));
    writer.EndStream();
  });
  ClientOptions slow_reader;
  slow_reader.receive_buffer = 64 << 10;
  auto stream = HttpClient(slow_reader).Stream("POST", api(), "/v1/chat/completions", ChatRequest("up", true).dump());
  ASSERT_NO_FATAL_FAILURE(ExpectSseHead(*stream));
  ExpectDataJson(NextNonComment(*stream), UpstreamChunk("first"));
  SseItem item = NextNonComment(*stream);
  ASSERT_EQ(SseKindName(item.kind), "data") << item.text.substr(0, 200);
  // Relayed as the upstream wrote it (compared as bytes: a parse of 6 MiB is slow in a sanitizer build).
  const std::string expected = UpstreamChunk(large);
  EXPECT_TRUE(item.text == expected) << item.text.size() << " bytes, not the " << expected.size() << " sent";
  client_has_it.Open();
  ExpectData(NextNonComment(*stream), "[DONE]");
  ExpectEnd(NextNonComment(*stream));
}

// A stream that ended ([DONE], then the end of the HTTP body) leaves its
// upstream connection for the next request. (Each I/O thread keeps its own
// connections: one thread, so that all requests meet the same pool.)
TEST_F(StreamTest, StreamsReuseTheUpstreamConnection) {
  ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_, {}), {}, {"--threads", "1"}));
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, kSseHeaders);
    writer.WriteChunk(SseEvent(UpstreamChunk("A")) + SseEvent("[DONE]"));
    writer.EndStream();
  });
  for (int i = 0; i < 3; ++i) {
    auto stream = StreamChat(ChatRequest("up", true));
    ASSERT_NO_FATAL_FAILURE(ExpectWholeStream(*stream, {"A"}));
  }
  ASSERT_TRUE(upstream_.WaitForRequests(3, kWait));
  EXPECT_EQ(upstream_.connections_accepted(), 1);
}

// A burst of concurrent streams leaves as many upstream connections idle, and
// the next burst reuses all of them: none is closed only to be opened again.
// (100 streams: more than the 64 idle connections an origin used to keep.)
TEST_F(StreamTest, ABurstOfStreamsLeavesItsUpstreamConnectionsForTheNextBurst) {
  constexpr int kStreams = 100;
  ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_, {}), {}, {"--threads", "1"}));
  const std::array<Gate, 2> bursts;
  auto requests = std::make_shared<std::atomic<int>>(0);
  upstream_.SetHandler([bursts, requests](const RecordedRequest&, ResponseWriter& writer) {
    const Gate& release = bursts[requests->fetch_add(1) < kStreams ? 0 : 1];
    writer.StartStream(200, kSseHeaders);
    if (!writer.Await(release, kWait)) return;
    writer.WriteChunk(SseEvent(UpstreamChunk("A")) + SseEvent("[DONE]"));
    writer.EndStream();
  });
  for (int burst = 0; burst < 2; ++burst) {
    std::vector<std::unique_ptr<SseStream>> streams;
    for (int i = 0; i < kStreams; ++i) {
      streams.push_back(StreamChat(ChatRequest("up", true)));
      ASSERT_NO_FATAL_FAILURE(ExpectSseHead(*streams.back()));
    }
    ASSERT_TRUE(upstream_.WaitForRequests((burst + 1) * kStreams, kWait));
    bursts[burst].Open();
    for (auto& stream : streams) {
      ExpectDataJson(NextNonComment(*stream), UpstreamChunk("A"));
      ExpectData(NextNonComment(*stream), "[DONE]");
      ExpectEnd(NextNonComment(*stream));
    }
  }
  EXPECT_EQ(upstream_.connections_accepted(), kStreams);
}

// A whole stream in one upstream body (Content-Length): the router has the
// end of that body with the last events and [DONE], so it sends them and the
// end of its own stream together, and the connection is reused.
TEST_F(StreamTest, AStreamThatArrivesWholeEndsAtOnceAndReusesTheConnection) {
  ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_, {}), {}, {"--threads", "1"}));
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.Send(200, kSseHeaders, SseEvent(UpstreamChunk("A")) + SseEvent(UpstreamChunk("B")) + SseEvent("[DONE]"));
  });
  for (int i = 0; i < 2; ++i) {
    auto stream = StreamChat(ChatRequest("up", true));
    ASSERT_NO_FATAL_FAILURE(ExpectWholeStream(*stream, {"A", "B"}));
  }
  ASSERT_TRUE(upstream_.WaitForRequests(2, kWait));
  EXPECT_EQ(upstream_.connections_accepted(), 1);
}

// An upstream that sends [DONE] and then keeps its body open: the client
// gets every event and the end of its stream all the same (after a short
// wait), and the connection is not reused.
TEST_F(StreamTest, AnUpstreamThatNeverEndsItsBodyAfterDoneIsNotWaitedFor) {
  ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_, {}), {}, {"--threads", "1"}));
  Gate release;
  upstream_.SetHandler([release](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, kSseHeaders);
    writer.WriteChunk(SseEvent(UpstreamChunk("A")) + SseEvent("[DONE]"));
    writer.Await(release, kWait);
  });
  for (int i = 0; i < 2; ++i) {
    auto stream = StreamChat(ChatRequest("up", true));
    ASSERT_NO_FATAL_FAILURE(ExpectWholeStream(*stream, {"A"}));
  }
  ASSERT_TRUE(upstream_.WaitForRequests(2, kWait));
  EXPECT_EQ(upstream_.connections_accepted(), 2);
  release.Open();
}

TEST_F(StreamTest, DoneIsAddedWhenTheUpstreamOmitsIt) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  for (Framing framing : {Framing::kChunked, Framing::kCloseDelimited}) {
    SCOPED_TRACE(framing == Framing::kChunked ? "chunked upstream" : "close-delimited upstream");
    upstream_.SetHandler([framing](const RecordedRequest&, ResponseWriter& writer) {
      writer.StartStream(200, kSseHeaders, framing);
      writer.WriteChunk(SseEvent(UpstreamChunk("A")));
      writer.WriteChunk(SseEvent(UpstreamChunk("B")));
      writer.EndStream();
    });
    auto stream = StreamChat(ChatRequest("up", true));
    ASSERT_NO_FATAL_FAILURE(ExpectWholeStream(*stream, {"A", "B"}));
  }
}

TEST_F(StreamTest, KeepAliveCommentsWhileTheUpstreamIsSilent) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    if (!writer.Delay(1s)) return;  // keepAliveIntervalSeconds is 0.2
    writer.StartStream(200, kSseHeaders);
    writer.WriteChunk(SseEvent(UpstreamChunk("late")) + SseEvent("[DONE]"));
    writer.EndStream();
  });
  auto stream = StreamChat(ChatRequest("up", true));
  ASSERT_NO_FATAL_FAILURE(ExpectSseHead(*stream));
  int comments = 0;
  SseItem item = stream->NextSkippingComments(kWait, &comments);
  EXPECT_GE(comments, 1);
  ASSERT_EQ(SseKindName(item.kind), "data")
      << comments << " keep-alive comments, then " << item.text << "; the upstream answered after 1 s";
  ExpectDataJson(item, UpstreamChunk("late"));
  ExpectData(NextNonComment(*stream), "[DONE]");
  ExpectEnd(NextNonComment(*stream));
}

// Reads `stream`'s items until `count` keep-alive comments came; fails on
// anything else, or when they do not come within kWait.
void ExpectComments(SseStream& stream, int count) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  for (int seen = 0; seen < count;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    ASSERT_GT(left.count(), 0) << seen << " of " << count << " comments within " << kWait.count() << " ms";
    SseItem item = stream.Next(left);
    ASSERT_EQ(SseKindName(item.kind), "comment") << item.text;
    ++seen;
  }
}

// Streams waiting for their heads at once share one timer per I/O thread: one
// answered (and gone) leaves the others' comments coming.
TEST_F(StreamTest, KeepAliveCommentsReachEveryWaitingStream) {
  ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_), {}, {"--threads", "1"}));  // one timer for all
  Gate first, rest;
  auto calls = std::make_shared<std::atomic<int>>(0);
  upstream_.SetHandler([first, rest, calls](const RecordedRequest&, ResponseWriter& writer) {
    const Gate& gate = calls->fetch_add(1) == 0 ? first : rest;
    if (!writer.Await(gate, 20s)) return;
    writer.StartStream(200, kSseHeaders);
    writer.WriteChunk(SseEvent(UpstreamChunk("late")) + SseEvent("[DONE]"));
    writer.EndStream();
  });
  auto a = StreamChat(ChatRequest("up", true));
  ASSERT_TRUE(upstream_.WaitForRequests(1, kWait));
  auto b = StreamChat(ChatRequest("up", true));
  auto c = StreamChat(ChatRequest("up", true));
  ASSERT_TRUE(upstream_.WaitForRequests(3, kWait));
  for (auto* stream : {a.get(), b.get(), c.get()}) ASSERT_NO_FATAL_FAILURE(ExpectComments(*stream, 2));
  first.Open();
  ExpectDataJson(NextNonComment(*a), UpstreamChunk("late"));
  ExpectData(NextNonComment(*a), "[DONE]");
  ExpectEnd(NextNonComment(*a));
  for (auto* stream : {b.get(), c.get()}) ASSERT_NO_FATAL_FAILURE(ExpectComments(*stream, 3));
  rest.Open();
  for (auto* stream : {b.get(), c.get()}) {
    ExpectDataJson(NextNonComment(*stream), UpstreamChunk("late"));
    ExpectData(NextNonComment(*stream), "[DONE]");
    ExpectEnd(NextNonComment(*stream));
  }
}

// A shorter interval from a reload holds for the next request at once, though
// a request of the longer one is still waiting.
TEST_F(StreamTest, AShorterKeepAliveIntervalHoldsForTheNextStreamAtOnce) {
  std::string yaml = StandardConfig(upstream_);
  const std::string fast = "keepAliveIntervalSeconds: 0.2";
  const size_t at = yaml.find(fast);
  ASSERT_NE(at, std::string::npos);
  std::string slow = yaml;
  slow.replace(at, fast.size(), "keepAliveIntervalSeconds: 60");
  ASSERT_NO_FATAL_FAILURE(Start(slow, {}, {"--threads", "1"}));
  Gate answer;
  upstream_.SetHandler([answer](const RecordedRequest&, ResponseWriter& writer) {
    if (!writer.Await(answer, 20s)) return;
    writer.StartStream(200, kSseHeaders);
    writer.WriteChunk(SseEvent(UpstreamChunk("late")) + SseEvent("[DONE]"));
    writer.EndStream();
  });
  // Its first comment (and with it the response head) is due in 60 s: sent
  // raw, as the test client would wait for that head.
  RawConnection waiting(api());
  ASSERT_TRUE(waiting.connected());
  const std::string body = ChatRequest("up", true).dump();
  ASSERT_TRUE(waiting.Send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
  ASSERT_TRUE(upstream_.WaitForRequests(1, kWait));
  dir_.WriteFile("config.yaml", yaml);
  ASSERT_TRUE(dataplane_->WaitForLog("config reloaded", kWait)) << dataplane_->LogText();
  auto next = StreamChat(ChatRequest("up", true));
  ASSERT_NO_FATAL_FAILURE(ExpectComments(*next, 2));  // in 0.4 s, not 60
  EXPECT_EQ(waiting.received(), "") << "the first request's interval is still 60 s";
  answer.Open();
  ExpectDataJson(NextNonComment(*next), UpstreamChunk("late"));
  ExpectData(NextNonComment(*next), "[DONE]");
  const std::string whole =
      waiting.ReadUntil([](const std::string& got) { return got.find("0\r\n\r\n") != std::string::npos; }, kWait);
  EXPECT_NE(whole.find("\"content\":\"late\""), std::string::npos) << whole;
  EXPECT_EQ(whole.find(": keep-alive"), std::string::npos) << whole;
}

TEST_F(StreamTest, ClientHangUpClosesTheUpstreamConnection) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  Gate never;
  upstream_.SetHandler([never](const RecordedRequest&, ResponseWriter& writer) {
    writer.StartStream(200, kSseHeaders);
    writer.WriteChunk(SseEvent(UpstreamChunk("A")));
    writer.Await(never, 30s);
  });
  auto stream = StreamChat(ChatRequest("up", true));
  ExpectDataJson(NextNonComment(*stream), UpstreamChunk("A"));
  auto left_at = std::chrono::steady_clock::now();
  stream->Close();
  ExpectUpstreamClosedWithinASecond(upstream_, left_at);
  ExpectStillServing();
}

// A hang-up while the data plane is still waiting for the upstream's first
// byte (only keep-alive comments sent so far).
TEST_F(StreamTest, ClientHangUpBeforeTheFirstByteClosesTheUpstreamConnection) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    if (!writer.Delay(30s)) return;
    writer.SendJson(200, UpstreamCompletion("too late"));
  });
  auto stream = StreamChat(ChatRequest("up", true));
  ASSERT_NO_FATAL_FAILURE(ExpectSseHead(*stream));
  ASSERT_TRUE(upstream_.WaitForRequests(1, kWait));
  SseItem comment = stream->Next(kWait);
  EXPECT_EQ(SseKindName(comment.kind), "comment") << comment.text;
  auto left_at = std::chrono::steady_clock::now();
  stream->Close();
  ExpectUpstreamClosedWithinASecond(upstream_, left_at);
  ExpectStillServing();
}

// A client that gives up on a non-streamed request (its own timeout).
TEST_F(StreamTest, ClientGivingUpOnANonStreamedRequestClosesTheUpstreamConnection) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    if (!writer.Delay(30s)) return;
    writer.SendJson(200, UpstreamCompletion("too late"));
  });
  ClientOptions impatient;
  impatient.timeout = 300ms;
  HttpResponse response = HttpClient(impatient).PostJson(api(), "/v1/chat/completions", ChatRequest("up"));
  auto left_at = std::chrono::steady_clock::now();  // the client closed its connection on returning
  ASSERT_FALSE(response.ok()) << "answered: " << response.status << " " << response.body;
  ExpectUpstreamClosedWithinASecond(upstream_, left_at);
  ExpectStillServing();
}

TEST_F(StreamTest, UpstreamErrorBeforeAnyByteKeepsItsStatus) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  struct Case {
    int status;
    std::string message;
  };
  // 500 first: after the 429, the model's one key rests (see RetryTest).
  for (const Case& c : {Case{500, "The server had an error"}, Case{429, "Rate limit reached"}}) {
    SCOPED_TRACE(c.status);
    upstream_.SetHandler([c](const RecordedRequest&, ResponseWriter& writer) {
      writer.SendJson(c.status, {{"error", {{"message", c.message}, {"type", "requests"}, {"code", "some_code"}}}});
    });
    HttpResponse response = PostChat(ChatRequest("up", true));
    ExpectOpenAiError(response, c.status);
    EXPECT_NE(ErrorMessage(response.body).find(c.message), std::string::npos) << response.body;
  }
  ExpectStillServing();
}

TEST_F(StreamTest, UpstreamDyingMidStreamEndsWithErrorEventAndDone) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  for (AbortMode mode : {AbortMode::kReset, AbortMode::kClose}) {
    SCOPED_TRACE(mode == AbortMode::kReset ? "reset" : "close");
    upstream_.SetHandler([mode](const RecordedRequest&, ResponseWriter& writer) {
      writer.StartStream(200, kSseHeaders);
      writer.WriteChunk(SseEvent(UpstreamChunk("A")));
      writer.Abort(mode);
    });
    auto stream = StreamChat(ChatRequest("up", true));
    ASSERT_NO_FATAL_FAILURE(ExpectSseHead(*stream));
    ExpectDataJson(NextNonComment(*stream), UpstreamChunk("A"));
    SseItem error = NextNonComment(*stream);
    ASSERT_EQ(SseKindName(error.kind), "data") << error.text;
    nlohmann::json parsed = nlohmann::json::parse(error.text, nullptr, false);
    EXPECT_TRUE(parsed.is_object() && parsed.contains("error") && parsed["error"].is_object() &&
                parsed["error"]["message"].is_string())
        << error.text;
    ExpectData(NextNonComment(*stream), "[DONE]");
    ExpectEnd(NextNonComment(*stream));
  }
  ExpectStillServing();
}

TEST_F(StreamTest, TrivialModelStreamsChunksThenDone) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  auto stream = StreamChat(ChatRequest("triv", true));
  ASSERT_NO_FATAL_FAILURE(ExpectSseHead(*stream));
  std::vector<nlohmann::json> chunks;
  SseItem item = NextNonComment(*stream);
  for (; item.kind == Kind::kData && item.text != "[DONE]"; item = NextNonComment(*stream)) {
    nlohmann::json chunk = nlohmann::json::parse(item.text, nullptr, false);
    ASSERT_TRUE(chunk.is_object()) << item.text;
    chunks.push_back(chunk);
  }
  ExpectData(item, "[DONE]");
  ExpectEnd(NextNonComment(*stream));

  ASSERT_GE(chunks.size(), 2u);
  std::string text;
  for (auto& chunk : chunks) {
    EXPECT_EQ(chunk["object"], "chat.completion.chunk") << chunk.dump();
    ASSERT_TRUE(chunk["choices"].is_array()) << chunk.dump();
    if (chunk["choices"].empty()) continue;
    const nlohmann::json& content = chunk["choices"][0]["delta"]["content"];
    if (content.is_string()) text += content.get<std::string>();
  }
  EXPECT_EQ(text, kTrivialOutput);
  ASSERT_FALSE(chunks.back()["choices"].empty()) << chunks.back().dump();
  EXPECT_EQ(chunks.back()["choices"][0]["finish_reason"], "stop") << chunks.back().dump();
  EXPECT_TRUE(upstream_.Requests().empty());
}

}  // namespace
}  // namespace switchboard::testing
