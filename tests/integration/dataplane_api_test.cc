// The data plane's non-streamed API as a client sees it: model list, request
// forwarding, errors, the trivial model, connection handling, admin port.

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>

#include "tests/integration/dataplane_fixture.h"

namespace switchboard::testing {
namespace {

using ApiTest = DataPlaneTest;

void ExpectModelList(const HttpResponse& response, const std::vector<std::string>& names) {
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200) << response.body;
  // The openai SDKs parse a body as JSON only when the Content-Type says so.
  EXPECT_EQ(response.Header("Content-Type").value_or("").rfind("application/json", 0), 0u);
  nlohmann::json body = response.Json();
  ASSERT_TRUE(body.is_object()) << response.body;
  EXPECT_EQ(body["object"], "list");
  ASSERT_TRUE(body["data"].is_array()) << response.body;
  std::set<std::string> ids;
  for (const auto& model : body["data"]) {
    EXPECT_EQ(model["object"], "model") << model.dump();
    ASSERT_TRUE(model["id"].is_string()) << model.dump();
    ids.insert(model["id"].get<std::string>());
  }
  EXPECT_EQ(ids, std::set<std::string>(names.begin(), names.end())) << response.body;
  EXPECT_EQ(body["data"].size(), names.size()) << response.body;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A client that sends its next request before the answer to the previous one
// (HTTP/1.1 pipelining) gets both answers, in order: the bytes of the second
// request are not taken for a hang-up while the first is served.
TEST_F(ApiTest, PipelinedRequestsAreAnsweredInOrder) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  Gate first_arrived, answer;
  auto served = std::make_shared<std::atomic<int>>(0);
  upstream_.SetHandler([first_arrived, answer, served](const RecordedRequest&, ResponseWriter& writer) {
    int n = ++*served;
    if (n == 1) {
      first_arrived.Open();
      if (!writer.Await(answer, kWait)) return;
    }
    writer.SendJson(200, UpstreamCompletion("answer " + std::to_string(n)));
  });
  std::string body = ChatRequest("up").dump();
  std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  RawConnection connection(api());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send(request));
  ASSERT_TRUE(first_arrived.Wait(kWait)) << "the first request did not reach the upstream";
  ASSERT_TRUE(connection.Send(request));  // while the first is being served
  answer.Open();
  std::string received = connection.ReadUntil(
      [](const std::string& text) { return text.find("answer 2") != std::string::npos; }, kWait);
  EXPECT_EQ(Count(received, "HTTP/1.1 200 OK"), 2u) << received;
  size_t first = received.find("answer 1"), second = received.find("answer 2");
  ASSERT_NE(first, std::string::npos) << received;
  ASSERT_NE(second, std::string::npos) << received;
  EXPECT_LT(first, second) << received;
  EXPECT_EQ(*served, 2);
}

TEST_F(ApiTest, ListsEveryModelProvider) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  ExpectModelList(client_.Get(api(), "/v1/models"), StandardModelNames());
}

TEST_F(ApiTest, ListsModelsWithoutV1Prefix) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  ExpectModelList(client_.Get(api(), "/models"), StandardModelNames());
}

TEST_F(ApiTest, EveryAnswerHasItsOwnRequestId) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto response = client_.Get(api(), "/v1/models");
    ASSERT_TRUE(response.ok()) << response.error;
    const std::string id = response.Header("x-request-id").value_or("");
    // "req_" and 24 lowercase hex digits
    ASSERT_EQ(id.size(), 28u) << id;
    EXPECT_EQ(id.rfind("req_", 0), 0u) << id;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef", 4), std::string::npos) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 3u);
}

// Request lines wait at most 10 ms for more in the log writer's buffer
// (log::BackgroundWriter), not until the process ends: each request's line is
// there while the router runs idle.
TEST_F(ApiTest, EachRequestsLogLineIsWrittenWhileTheRouterRuns) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  nlohmann::json answer = UpstreamCompletion("logged");
  upstream_.SetHandler([answer](const RecordedRequest&, ResponseWriter& writer) { writer.SendJson(200, answer); });
  for (int i = 0; i < 2; ++i) {
    HttpResponse response = PostChat(ChatRequest("up"));
    ASSERT_EQ(response.status, 200) << response.body;
    const std::string id = response.Header("x-request-id").value_or("");
    ASSERT_FALSE(id.empty());
    EXPECT_TRUE(dataplane_->WaitForLog("\"id\":\"" + id + "\"", kWait)) << dataplane_->LogText();
  }
}

// Answers with a length, an empty one included, leave their upstream
// connection for the next request (one I/O thread: one pool).
TEST_F(ApiTest, NonStreamedAnswersReuseTheUpstreamConnection) {
  ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_), {}, {"--threads", "1"}));
  auto calls = std::make_shared<std::atomic<int>>(0);
  upstream_.SetHandler([calls](const RecordedRequest&, ResponseWriter& writer) {
    if (calls->fetch_add(1) == 1) {
      writer.Send(400, {}, "");  // Content-Length: 0 (and not retried)
      return;
    }
    writer.SendJson(200, UpstreamCompletion("again"));
  });
  for (int i = 0; i < 4; ++i) {
    auto response = PostChat(ChatRequest("up"));
    ASSERT_TRUE(response.ok()) << response.error;
    if (i == 1) {
      EXPECT_EQ(response.status, 400) << response.body;
    } else {
      ASSERT_EQ(response.status, 200) << response.body;
      EXPECT_EQ(response.Json()["choices"][0]["message"]["content"], "again");
    }
  }
  ASSERT_TRUE(upstream_.WaitForRequests(4, kWait));
  EXPECT_EQ(upstream_.connections_accepted(), 1);
}

// curl sends "Expect: 100-continue" with larger bodies and holds the body back
// until the server says to go on; a request whose head and body come in one
// piece is served without a second read.
TEST_F(ApiTest, ExpectContinueGetsA100AndTheBodyIsServedAfterIt) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  nlohmann::json answer = UpstreamCompletion("continued");
  upstream_.SetHandler([answer](const RecordedRequest&, ResponseWriter& writer) { writer.SendJson(200, answer); });
  const std::string body = ChatRequest("up").dump();
  const std::string head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: " + std::to_string(body.size()) + "\r\n";
  auto complete = [](const std::string& text) { return text.find("\"continued\"") != std::string::npos; };

  RawConnection waiting(api());
  ASSERT_TRUE(waiting.connected());
  ASSERT_TRUE(waiting.Send(head + "Expect: 100-continue\r\n\r\n"));
  std::string interim = waiting.ReadUntil(
      [](const std::string& text) { return text.find("\r\n\r\n") != std::string::npos; }, kWait);
  ASSERT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << interim;
  ASSERT_TRUE(waiting.Send(body));
  std::string answered = waiting.ReadUntil(complete, kWait);
  EXPECT_NE(answered.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << answered;
  EXPECT_TRUE(complete(answered)) << answered;

  RawConnection at_once(api());
  ASSERT_TRUE(at_once.connected());
  ASSERT_TRUE(at_once.Send(head + "\r\n" + body));
  std::string whole = at_once.ReadUntil(complete, kWait);
  EXPECT_EQ(whole.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << whole;
  EXPECT_TRUE(complete(whole)) << whole;

  // And in pieces that arrive apart: half the head, the rest of it with half
  // the body, then the rest.
  RawConnection pieces(api());
  ASSERT_TRUE(pieces.connected());
  const std::string request = head + "\r\n" + body;
  const size_t cuts[] = {head.size() / 2, head.size() + 2 + body.size() / 2, request.size()};
  size_t from = 0;
  for (size_t cut : cuts) {
    ASSERT_TRUE(pieces.Send(request.substr(from, cut - from)));
    from = cut;
    if (cut != request.size()) std::this_thread::sleep_for(std::chrono::milliseconds(50));  // apart: the point of the test
  }
  std::string slow = pieces.ReadUntil(complete, kWait);
  EXPECT_EQ(slow.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << slow;
  EXPECT_TRUE(complete(slow)) << slow;
}

TEST_F(ApiTest, ForwardsClientBodyWithUpstreamModelNameAndKey) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  nlohmann::json answer = UpstreamCompletion("Hi yourself");
  upstream_.SetHandler([answer](const RecordedRequest&, ResponseWriter& writer) { writer.SendJson(200, answer); });
  nlohmann::json request = {{"model", "up"},
                            {"messages", {{{"role", "system"}, {"content", "Be brief."}},
                                          {{"role", "user"}, {"content", "Hi"}}}},
                            {"temperature", 0.5},
                            {"top_k", 40},
                            {"min_p", 0.1},
                            {"reasoning_effort", "low"},
                            {"unknown_field", {{"a", 1}}}};

  HttpResponse response = PostChat(request);

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json(), answer) << response.body;
  ASSERT_TRUE(upstream_.WaitForRequests(1, kWait));
  RecordedRequest seen = upstream_.Requests().at(0);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/v1/chat/completions");
  EXPECT_EQ(seen.Header("Authorization"), std::string("Bearer ") + kKey);
  nlohmann::json expected = request;
  expected["model"] = "upstream-model";
  EXPECT_EQ(seen.Json(), expected) << seen.body;
}

// A request and an answer larger than a socket's buffers: both writes go on
// past a full socket and arrive whole.
TEST_F(ApiTest, LargeRequestAndAnswerArriveWhole) {
  std::string yaml = StandardConfig(upstream_, {});
  const std::string small_limit = "bodyLimitBytes: 1024";
  ASSERT_NE(yaml.find(small_limit), std::string::npos);
  yaml.replace(yaml.find(small_limit), small_limit.size(), "bodyLimitBytes: 16777216");
  ASSERT_NO_FATAL_FAILURE(Start(yaml));
  std::string history;
  while (history.size() < (6 << 20)) {
    history += "A long roleplay history line, number " + std::to_string(history.size()) + ".\n";
  }
  std::string long_answer(20 << 20, 'z');
  nlohmann::json answer = UpstreamCompletion(long_answer);
  upstream_.SetHandler([answer](const RecordedRequest&, ResponseWriter& writer) { writer.SendJson(200, answer); });
  nlohmann::json request = {{"model", "up"}, {"messages", {{{"role", "user"}, {"content", history}}}}};

  HttpResponse response = PostChat(request);

  ASSERT_TRUE(response.ok()) << response.error;
  ASSERT_EQ(response.status, 200) << response.body.substr(0, 300);
  EXPECT_EQ(response.body.size(), answer.dump().size());
  EXPECT_TRUE(response.Json() == answer) << "the answer changed on its way";
  ASSERT_TRUE(upstream_.WaitForRequests(1, kWait));
  nlohmann::json seen = upstream_.Requests().at(0).Json();
  EXPECT_EQ(seen["model"], "upstream-model");
  EXPECT_TRUE(seen["messages"][0]["content"] == history) << "the request changed on its way";
}

TEST_F(ApiTest, NoAuthorizationHeaderWhenNoKeyTargetsTheModel) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  HttpResponse response = PostChat(ChatRequest("local"));
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200) << response.body;
  ASSERT_TRUE(upstream_.WaitForRequests(1, kWait));
  RecordedRequest seen = upstream_.Requests().at(0);
  EXPECT_EQ(seen.target, "/v1/chat/completions");
  EXPECT_EQ(seen.Header("Authorization"), std::nullopt);
  EXPECT_EQ(seen.Json()["model"], "m2");
}

TEST_F(ApiTest, AcceptsChatPathWithoutV1AndWithDoubleSlash) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  for (const char* target : {"/chat/completions", "//v1/chat/completions", "//chat/completions"}) {
    SCOPED_TRACE(target);
    HttpResponse response = PostChat(ChatRequest("up"), target);
    ASSERT_TRUE(response.ok()) << response.error;
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.Json()["choices"][0]["message"]["content"], "fake answer") << response.body;
  }
  EXPECT_EQ(upstream_.Requests().size(), 3u);
}

TEST_F(ApiTest, UpstreamRateLimitPassesThrough) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.SendJson(429,
                    {{"error", {{"message", "Rate limit reached"}, {"type", "requests"}, {"code", "rate_limit"}}}});
  });
  HttpResponse response = PostChat(ChatRequest("up"));
  ExpectOpenAiError(response, 429);
  EXPECT_NE(ErrorMessage(response.body).find("Rate limit reached"), std::string::npos)
      << response.body;
  ExpectStillServing();
}

TEST_F(ApiTest, UpstreamServerErrorPassesThrough) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.SendJson(500, {{"error", {{"message", "The server had an error"}, {"type", "server_error"}}}});
  });
  HttpResponse response = PostChat(ChatRequest("up"));
  ExpectOpenAiError(response, 500);
  EXPECT_NE(ErrorMessage(response.body).find("The server had an error"), std::string::npos)
      << response.body;
  ExpectStillServing();
}

void ExpectInvalidRequest(const HttpResponse& response) {
  ASSERT_NO_FATAL_FAILURE(ExpectOpenAiError(response, 400));
  EXPECT_EQ(response.Json()["error"]["type"], "invalid_request_error") << response.body;
}

TEST_F(ApiTest, MalformedJsonIs400) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  ExpectInvalidRequest(client_.Request("POST", api(), "/v1/chat/completions", R"({"model": "up", "messages": [)"));
  ExpectStillServing();
  EXPECT_TRUE(upstream_.Requests().empty());
}

TEST_F(ApiTest, BodyWithoutMessagesIs400) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  ExpectInvalidRequest(PostChat({{"model", "up"}}));
  ExpectStillServing();
  EXPECT_TRUE(upstream_.Requests().empty());
}

TEST_F(ApiTest, BodyWithoutModelIs400) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  ExpectInvalidRequest(PostChat({{"messages", {{{"role", "user"}, {"content", "Hi"}}}}}));
  ExpectStillServing();
  EXPECT_TRUE(upstream_.Requests().empty());
}

TEST_F(ApiTest, UnknownModelIs404NamingTheModel) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  HttpResponse response = PostChat(ChatRequest("no-such-model"));
  ExpectOpenAiError(response, 404);
  EXPECT_NE(ErrorMessage(response.body).find("no-such-model"), std::string::npos)
      << response.body;
  ExpectStillServing();
  EXPECT_TRUE(upstream_.Requests().empty());
}

TEST_F(ApiTest, BodyOverTheLimitIs413) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  nlohmann::json request = ChatRequest("up");
  request["messages"][0]["content"] = std::string(2048, 'x');  // bodyLimitBytes is 1024
  HttpResponse response = PostChat(request);
  ExpectOpenAiError(response, 413);
  ExpectStillServing();
  EXPECT_TRUE(upstream_.Requests().empty());
}

TEST_F(ApiTest, UnknownPathIs404Json) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  ExpectOpenAiError(client_.Get(api(), "/v1/nothing-here"), 404);
  ExpectOpenAiError(client_.Request("POST", api(), "/v1/nothing-here", ChatRequest("up").dump()), 404);
  ExpectStillServing();
}

TEST_F(ApiTest, TrivialModelAnswersNonStreamed) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  HttpResponse response = PostChat(ChatRequest("triv"));
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200) << response.body;
  nlohmann::json body = response.Json();
  ASSERT_TRUE(body.is_object()) << response.body;
  EXPECT_EQ(body["object"], "chat.completion");
  ASSERT_TRUE(body["choices"].is_array() && !body["choices"].empty()) << response.body;
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["choices"][0]["message"]["content"], kTrivialOutput);
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(body["usage"].is_object()) << response.body;
  EXPECT_TRUE(upstream_.Requests().empty());
}

TEST_F(ApiTest, TwoRequestsOnOneConnection) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  auto connection = client_.Connect(api());
  ASSERT_EQ(connection->error(), "");
  HttpResponse first = connection->Request("POST", "/v1/chat/completions", ChatRequest("up").dump());
  HttpResponse second = connection->Request("POST", "/v1/chat/completions", ChatRequest("triv").dump());
  ASSERT_TRUE(first.ok()) << first.error;
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.Json()["choices"][0]["message"]["content"], kTrivialOutput) << second.body;
}

TEST_F(ApiTest, ConnectionCloseIsAnsweredWithConnectionClose) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  auto connection = client_.Connect(api());
  ASSERT_EQ(connection->error(), "");
  HttpResponse response =
      connection->Request("POST", "/v1/chat/completions", ChatRequest("up").dump(), {{"Connection", "close"}});
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("Connection"), "close");
  EXPECT_TRUE(connection->WaitClosedByServer(kWait));
}

TEST_F(ApiTest, AdminHealthAndReadiness) {
  ASSERT_NO_FATAL_FAILURE(StartStandard());
  for (const char* target : {"/healthz", "/readyz"}) {
    SCOPED_TRACE(target);
    HttpResponse response = client_.Get(dataplane_->admin(), target);
    ASSERT_TRUE(response.ok()) << response.error;
    EXPECT_EQ(response.status, 200) << response.body;
  }
}

}  // namespace
}  // namespace switchboard::testing
