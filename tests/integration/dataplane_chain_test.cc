// Processor chains through the real data plane: what the upstream receives
// is the client's request rewritten by the model's chain (and, for a random
// provider with a chain of its own, the outer chain first, then the inner),
// streamed or not.

#include <string>

#include "tests/integration/dataplane_fixture.h"

namespace switchboard::testing {
namespace {

using ChainTest = DataPlaneTest;
using nlohmann::json;

const Headers kSseHeaders = {{"Content-Type", "text/event-stream"}};

// `rewritten` (genericoai) runs chain `inner`; `outer-rp` (random over it)
// runs chain `outer` first.
std::string ChainConfig(const FakeUpstream& upstream) {
  ConfigOptions options;
  options.extra_providers =
      "  rewritten: {type: genericoai, url: \"http://" + upstream.host_port() +
      "/v1\", modelName: m, processorChain: inner}\n"
      "  outer-rp: {type: random, modelList: [rewritten], processorChain: outer}\n";
  return StandardConfig(upstream, options) +
         "processorChains:\n"
         "  inner:\n"
         "    - type: nosys\n"
         "    - type: overridesamplers\n"
         "      temperature: 0.25\n"
         "      topP: unset\n"
         "      minP: 0\n"
         "    - type: regex\n"
         "      pattern: \"\\\\bcolour\\\\b\"\n"
         "      flags: gi\n"
         "      replacement: color\n"
         "    - type: insertmessage\n"
         "      role: user\n"
         "      content: \"[stay in character]\"\n"
         "      position: -1\n"
         "  outer:\n"
         "    - type: squash\n"
         "      roles: [user]\n"
         "      squashString: \" | \"\n";
}

json ClientBody(bool stream) {
  return {{"model", "rewritten"},
          {"stream", stream},
          {"temperature", 1.3},
          {"top_p", 0.9},
          {"messages",
           {{{"role", "system"}, {"content", "You are a painter."}},
            {{"role", "user"}, {"content", "What Colour is the sky?"}}}}};
}

// What the inner chain makes of ClientBody: system -> user, samplers set and
// removed, the regex applied to every message, the reminder spliced in before
// the last message.
json ExpectedInnerMessages() {
  return json::array({{{"role", "user"}, {"content", "You are a painter."}},
                      {{"role", "user"}, {"content", "[stay in character]"}},
                      {{"role", "user"}, {"content", "What color is the sky?"}}});
}

void ServeBoth(FakeUpstream& upstream) {
  upstream.SetHandler([](const RecordedRequest& request, ResponseWriter& writer) {
    if (!request.Json().value("stream", false)) {
      writer.SendJson(200, UpstreamCompletion("ok"));
      return;
    }
    writer.StartStream(200, kSseHeaders);
    writer.WriteChunk(SseEvent(UpstreamChunk("ok")) + SseEvent("[DONE]"));
    writer.EndStream();
  });
}

void ExpectInnerRewrite(const json& sent) {
  EXPECT_EQ(sent["model"], "m");
  EXPECT_EQ(sent["temperature"], 0.25);
  EXPECT_FALSE(sent.contains("top_p")) << sent.dump();
  EXPECT_EQ(sent["min_p"], 0);
  EXPECT_EQ(sent["messages"], ExpectedInnerMessages()) << sent.dump();
}

TEST_F(ChainTest, TheUpstreamReceivesTheRewrittenRequest) {
  ServeBoth(upstream_);
  ASSERT_NO_FATAL_FAILURE(Start(ChainConfig(upstream_)));
  HttpResponse response = PostChat(ClientBody(false));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json()["choices"][0]["message"]["content"], "ok");
  ASSERT_TRUE(upstream_.WaitForRequests(1, kWait));
  ExpectInnerRewrite(upstream_.Requests()[0].Json());
}

TEST_F(ChainTest, StreamedRequestsAreRewrittenToo) {
  ServeBoth(upstream_);
  ASSERT_NO_FATAL_FAILURE(Start(ChainConfig(upstream_)));
  auto stream = StreamChat(ClientBody(true));
  ASSERT_TRUE(stream->head().ok()) << stream->head().error;
  ASSERT_EQ(stream->head().status, 200);
  SseItem first = stream->NextSkippingComments(kWait);
  ASSERT_EQ(SseKindName(first.kind), "data") << first.text;
  EXPECT_EQ(json::parse(first.text)["choices"][0]["delta"]["content"], "ok");
  EXPECT_EQ(stream->NextSkippingComments(kWait).text, "[DONE]");
  ASSERT_TRUE(upstream_.WaitForRequests(1, kWait));
  json sent = upstream_.Requests()[0].Json();
  EXPECT_EQ(sent["stream"], true);
  ExpectInnerRewrite(sent);
}

TEST_F(ChainTest, ARandomProvidersChainRunsBeforeThePickedModelsChain) {
  ServeBoth(upstream_);
  ASSERT_NO_FATAL_FAILURE(Start(ChainConfig(upstream_)));
  json body = ClientBody(false);
  body["model"] = "outer-rp";
  HttpResponse response = PostChat(body);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Header("x-switchboard-model").value_or(""), "rewritten");
  ASSERT_TRUE(upstream_.WaitForRequests(1, kWait));
  json sent = upstream_.Requests()[0].Json();
  // outer (squash users) saw system + one user: nothing to squash. Then inner
  // turned the system message into a user message and spliced the reminder in.
  // Had inner run first, outer would have squashed all three user messages.
  EXPECT_EQ(sent["messages"], ExpectedInnerMessages()) << sent.dump();
}

TEST_F(ChainTest, OrderMattersTheOtherWayRound) {
  // The same chains with roles swapped: outer = nosys, inner = squash. Now the
  // squash sees two user messages and joins them.
  ServeBoth(upstream_);
  ConfigOptions options;
  options.extra_providers =
      "  squashed: {type: genericoai, url: \"http://" + upstream_.host_port() +
      "/v1\", modelName: m, processorChain: squash-users}\n"
      "  rp: {type: random, modelList: [squashed], processorChain: no-system}\n";
  ASSERT_NO_FATAL_FAILURE(Start(StandardConfig(upstream_, options) +
                                "processorChains:\n"
                                "  no-system: [{type: nosys}]\n"
                                "  squash-users: [{type: squash, roles: [user], squashString: \" | \"}]\n"));
  json body = ClientBody(false);
  body["model"] = "rp";
  ASSERT_EQ(PostChat(body).status, 200);
  ASSERT_TRUE(upstream_.WaitForRequests(1, kWait));
  json sent = upstream_.Requests()[0].Json();
  EXPECT_EQ(sent["messages"],
            json::array({{{"role", "user"}, {"content", "You are a painter. | What Colour is the sky?"}}}))
      << sent.dump();
}

}  // namespace
}  // namespace switchboard::testing
