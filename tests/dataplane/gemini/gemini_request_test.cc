// OpenAI chat request -> Gemini request: URL, headers and body fixtures.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "common/json_write.h"
#include "dataplane/providers/chat_scan.h"
#include "dataplane/providers/gemini.h"

namespace switchboard::providers {
namespace {

using nlohmann::json;

Target MakeTarget(std::string_view base = "https://generativelanguage.googleapis.com/v1beta/models") {
  Target t;
  t.url = *ParseUrl(NormalizeGeminiUrl(base));
  t.model_name = "gemini-2.5-flash";
  return t;
}

std::string Header(const UpstreamRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

json Body(const std::string& client) {
  auto body = GeminiRequestBody(json::parse(client));
  EXPECT_TRUE(body.ok()) << body.status();
  return body.ok() ? json::parse(*body) : json();
}

TEST(NormalizeGeminiUrl, FireRouterRules) {
  EXPECT_EQ(NormalizeGeminiUrl("https://x/v1beta/models"), "https://x/v1beta/models");
  EXPECT_EQ(NormalizeGeminiUrl("https://x/v1beta/models/"), "https://x/v1beta/models");
  EXPECT_EQ(NormalizeGeminiUrl("https://x/v1beta"), "https://x/v1beta/models");
  EXPECT_EQ(NormalizeGeminiUrl("https://x/v1beta/"), "https://x/v1beta/models");
  EXPECT_EQ(NormalizeGeminiUrl("https://x"), "https://x/v1beta/models");
  EXPECT_EQ(NormalizeGeminiUrl("https://x/proxy/"), "https://x/proxy/v1beta/models");
  EXPECT_EQ(NormalizeGeminiUrl(kGeminiDefaultUrl), kGeminiDefaultUrl);
}

TEST(GeminiAdapter, NonStreamedTargetAndKeyHeader) {
  GeminiAdapter adapter;
  auto req = adapter.BuildRequest(MakeTarget(), json::parse(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})"),
                                  "AIza-secret");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->url.ToString(),
            "https://generativelanguage.googleapis.com:443/v1beta/models/gemini-2.5-flash:generateContent");
  EXPECT_EQ(req->url.target, "/v1beta/models/gemini-2.5-flash:generateContent");
  EXPECT_EQ(Header(*req, "x-goog-api-key"), "AIza-secret");
  EXPECT_EQ(Header(*req, "Authorization"), "<absent>");
  EXPECT_EQ(req->url.target.find("key="), std::string::npos);
  EXPECT_EQ(req->body.find("AIza-secret"), std::string::npos);
  EXPECT_EQ(Header(*req, "Content-Type"), "application/json");
}

TEST(GeminiAdapter, StreamedTargetUsesSse) {
  GeminiAdapter adapter;
  Target target = MakeTarget("http://127.0.0.1:9/");
  target.model_name = "models/gemini-2.5-pro";  // the "models/" prefix is tolerated
  auto req = adapter.BuildRequest(
      target, json::parse(R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})"), "");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->url.target, "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse");
  EXPECT_EQ(Header(*req, "x-goog-api-key"), "<absent>");
  EXPECT_EQ(Header(*req, "Accept"), "text/event-stream");
}

TEST(GeminiRequest, RolesSystemInstructionAndMerging) {
  json body = Body(R"({"messages":[
    {"role":"system","content":"Be brief."},
    {"role":"developer","content":[{"type":"text","text":"Speak French."}]},
    {"role":"user","content":"Hello"},
    {"role":"user","content":"Are you there?"},
    {"role":"assistant","content":"Oui."},
    {"role":"system","content":"Now speak German."},
    {"role":"tool","content":"42"}
  ]})");
  json expected_system = json::parse(R"({"parts":[{"text":"Be brief."},{"text":"Speak French."}]})");
  EXPECT_EQ(body["systemInstruction"], expected_system);
  json expected_contents = json::parse(R"([
    {"role":"user","parts":[{"text":"Hello"},{"text":"Are you there?"}]},
    {"role":"model","parts":[{"text":"Oui."}]},
    {"role":"user","parts":[{"text":"Now speak German."},{"text":"42"}]}
  ])");
  EXPECT_EQ(body["contents"], expected_contents);
}

TEST(GeminiRequest, ModelFirstGetsAMinimalUserTurn) {
  json body = Body(R"({"messages":[{"role":"system","content":"s"},{"role":"assistant","content":"Hi, I am a bot."},
    {"role":"user","content":"hi"}]})");
  json expected = json::parse(R"([
    {"role":"user","parts":[{"text":"."}]},
    {"role":"model","parts":[{"text":"Hi, I am a bot."}]},
    {"role":"user","parts":[{"text":"hi"}]}
  ])");
  EXPECT_EQ(body["contents"], expected);
}

TEST(GeminiRequest, EmptyAndNullContentIsDropped) {
  json body = Body(R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":null},
    {"role":"assistant","content":""},{"role":"user","content":"b"}]})");
  json expected = json::parse(R"([{"role":"user","parts":[{"text":"a"},{"text":"b"}]}])");
  EXPECT_EQ(body["contents"], expected);
  EXPECT_FALSE(body.contains("systemInstruction"));
}

TEST(GeminiRequest, InlineImages) {
  json body = Body(R"({"messages":[{"role":"user","content":[
    {"type":"text","text":"What is this?"},
    {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]})");
  json expected = json::parse(R"([{"role":"user","parts":[{"text":"What is this?"},
    {"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}]}])");
  EXPECT_EQ(body["contents"], expected);
}

TEST(GeminiRequest, RemoteImageIsAClearInvalidArgument) {
  GeminiAdapter adapter;
  auto req = adapter.BuildRequest(MakeTarget(), json::parse(R"({"messages":[{"role":"user","content":[
    {"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]})"),
                                  "k");
  ASSERT_FALSE(req.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(req.status()));
  EXPECT_NE(req.status().message().find("remote image URLs are not supported"), std::string::npos);

  auto bad = GeminiRequestBody(json::parse(R"({"messages":[{"role":"user","content":[
    {"type":"image_url","image_url":{"url":"data:image/png,notbase64"}}]}]})"));
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  auto audio = GeminiRequestBody(json::parse(R"({"messages":[{"role":"user","content":[
    {"type":"input_audio","input_audio":{}}]}]})"));
  EXPECT_TRUE(absl::IsInvalidArgument(audio.status()));
}

TEST(GeminiRequest, GenerationConfig) {
  json body = Body(R"({"messages":[{"role":"user","content":"hi"}],
    "temperature":0.7,"top_p":0.9,"top_k":40,"max_tokens":100,"stop":["a","b","c","d","e","f"],"n":2,
    "presence_penalty":0.5,"frequency_penalty":0.25,"seed":7,"response_format":{"type":"json_object"}})");
  json expected = json::parse(R"({"temperature":0.7,"topP":0.9,"topK":40,"maxOutputTokens":100,
    "stopSequences":["a","b","c","d","e"],"candidateCount":2,"presencePenalty":0.5,"frequencyPenalty":0.25,
    "seed":7,"responseMimeType":"application/json"})");
  EXPECT_EQ(body["generationConfig"], expected);
}

TEST(GeminiRequest, MaxCompletionTokensStopStringAndSchema) {
  json body = Body(R"({"messages":[{"role":"user","content":"hi"}],"max_tokens":10,"max_completion_tokens":20,
    "stop":"END","response_format":{"type":"json_schema","json_schema":{"name":"x",
    "schema":{"type":"object","properties":{"a":{"type":"string"}}}}}})");
  json expected = json::parse(R"({"maxOutputTokens":20,"stopSequences":["END"],
    "responseMimeType":"application/json","responseSchema":{"type":"object","properties":{"a":{"type":"string"}}}})");
  EXPECT_EQ(body["generationConfig"], expected);
}

TEST(GeminiRequest, NoGenerationConfigWhenNothingIsSet) {
  json body = Body(R"({"messages":[{"role":"user","content":"hi"}],"temperature":null})");
  EXPECT_FALSE(body.contains("generationConfig"));
}

TEST(GeminiRequest, BadTypesAreInvalidArgument) {
  for (const char* extra : {R"("temperature":"hot")", R"("top_k":1.5)", R"("stop":5)", R"("stop":[1])",
                            R"("reasoning_effort":"extreme")", R"("response_format":{"type":"xml"})"}) {
    auto body = GeminiRequestBody(json::parse(std::string(R"({"messages":[{"role":"user","content":"hi"}],)") + extra + "}"));
    EXPECT_TRUE(absl::IsInvalidArgument(body.status())) << extra;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(GeminiRequestBody(json::parse(R"({"messages":[]})")).status()));
}

TEST(GeminiRequest, SafetySettingsAllOff) {
  json body = Body(R"({"messages":[{"role":"user","content":"hi"}]})");
  json expected = json::parse(R"([
    {"category":"HARM_CATEGORY_HARASSMENT","threshold":"OFF"},
    {"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"OFF"},
    {"category":"HARM_CATEGORY_SEXUALLY_EXPLICIT","threshold":"OFF"},
    {"category":"HARM_CATEGORY_DANGEROUS_CONTENT","threshold":"OFF"},
    {"category":"HARM_CATEGORY_CIVIC_INTEGRITY","threshold":"OFF"}])");
  EXPECT_EQ(body["safetySettings"], expected);
}

TEST(GeminiRequest, ReasoningEffort) {
  auto thinking = [](const char* effort) {
    json body = Body(std::string(R"({"messages":[{"role":"user","content":"hi"}],"reasoning_effort":")") + effort +
                     "\"}");
    return body["generationConfig"]["thinkingConfig"];
  };
  EXPECT_EQ(thinking("low"), json::parse(R"({"thinkingBudget":1024,"includeThoughts":true})"));
  EXPECT_EQ(thinking("medium"), json::parse(R"({"thinkingBudget":8192,"includeThoughts":true})"));
  EXPECT_EQ(thinking("high"), json::parse(R"({"thinkingBudget":24576,"includeThoughts":true})"));
  EXPECT_EQ(thinking("none"), json::parse(R"({"thinkingBudget":0})"));
}


json BodyWith(const std::string& client, const GeminiOptions& options) {
  auto body = GeminiRequestBody(json::parse(client), options);
  EXPECT_TRUE(body.ok()) << body.status();
  return body.ok() ? json::parse(*body) : json();
}

TEST(GeminiRequest, SystemInstructionFalseSendsSystemTextAsUserTurns) {
  GeminiOptions options;
  options.system_instruction = false;
  json body = BodyWith(R"({"messages":[
    {"role":"system","content":"You are Aria."},
    {"role":"developer","content":"Stay in character."},
    {"role":"user","content":"Hello"},
    {"role":"assistant","content":"Hi."},
    {"role":"system","content":"[Scene change]"}
  ]})", options);
  EXPECT_FALSE(body.contains("systemInstruction"));
  json expected = json::parse(R"([
    {"role":"user","parts":[{"text":"You are Aria."},{"text":"Stay in character."},{"text":"Hello"}]},
    {"role":"model","parts":[{"text":"Hi."}]},
    {"role":"user","parts":[{"text":"[Scene change]"}]}
  ])");
  EXPECT_EQ(body["contents"], expected);

  // A request of system messages only: no content at all with a system
  // instruction, one user turn without.
  const char* only_system = R"({"messages":[{"role":"system","content":"Describe the tavern."}]})";
  auto refused = GeminiRequestBody(json::parse(only_system));
  ASSERT_TRUE(absl::IsInvalidArgument(refused.status()));
  EXPECT_EQ(refused.status().message(), "The request has no user or assistant message with content.");
  EXPECT_EQ(BodyWith(only_system, options)["contents"],
            json::parse(R"([{"role":"user","parts":[{"text":"Describe the tavern."}]}])"));
}

TEST(GeminiRequest, SystemMessagesHoldOnlyText) {
  auto body = GeminiRequestBody(json::parse(R"({"messages":[{"role":"system","content":[
    {"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},{"role":"user","content":"hi"}]})"));
  ASSERT_TRUE(absl::IsInvalidArgument(body.status()));
  EXPECT_EQ(body.status().message(), "System messages may only hold text for Gemini models.");
}

TEST(GeminiRequest, SafetySettingsPerModel) {
  GeminiOptions options;
  options.safety_thresholds = {{"HARM_CATEGORY_HATE_SPEECH", "BLOCK_ONLY_HIGH"},
                               {"HARM_CATEGORY_CIVIC_INTEGRITY", "BLOCK_NONE"}};
  json body = BodyWith(R"({"messages":[{"role":"user","content":"hi"}]})", options);
  json expected = json::parse(R"([
    {"category":"HARM_CATEGORY_HARASSMENT","threshold":"OFF"},
    {"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_ONLY_HIGH"},
    {"category":"HARM_CATEGORY_SEXUALLY_EXPLICIT","threshold":"OFF"},
    {"category":"HARM_CATEGORY_DANGEROUS_CONTENT","threshold":"OFF"},
    {"category":"HARM_CATEGORY_CIVIC_INTEGRITY","threshold":"BLOCK_NONE"}])");
  EXPECT_EQ(body["safetySettings"], expected);
}

TEST(GeminiRequest, ThinkingOptionsOfTheModel) {
  auto thinking = [](const char* extra, std::optional<int32_t> budget, std::optional<bool> include) {
    GeminiOptions options;
    options.thinking_budget = budget;
    options.include_thoughts = include;
    json body = BodyWith(std::string(R"({"messages":[{"role":"user","content":"hi"}])") + extra + "}", options);
    return body.contains("generationConfig") ? body["generationConfig"].value("thinkingConfig", json()) : json();
  };
  // The model's budget wins over the client's reasoning_effort.
  EXPECT_EQ(thinking(R"(,"reasoning_effort":"none")", 2048, std::nullopt),
            json::parse(R"({"thinkingBudget":2048,"includeThoughts":true})"));
  EXPECT_EQ(thinking(R"(,"reasoning_effort":"high")", 0, std::nullopt), json::parse(R"({"thinkingBudget":0})"));
  EXPECT_EQ(thinking("", -1, std::nullopt), json::parse(R"({"thinkingBudget":-1,"includeThoughts":true})"));
  // includeThoughts of the model wins both ways.
  EXPECT_EQ(thinking(R"(,"reasoning_effort":"medium")", std::nullopt, false),
            json::parse(R"({"thinkingBudget":8192,"includeThoughts":false})"));
  EXPECT_EQ(thinking("", std::nullopt, true), json::parse(R"({"includeThoughts":true})"));
  EXPECT_EQ(thinking("", 512, false), json::parse(R"({"thinkingBudget":512,"includeThoughts":false})"));
  // Nothing asked, nothing configured: no thinkingConfig (Gemini's default).
  EXPECT_TRUE(thinking("", std::nullopt, std::nullopt).is_null());
  // A bad reasoning_effort is still the client's error.
  GeminiOptions fixed;
  fixed.thinking_budget = 100;
  EXPECT_TRUE(absl::IsInvalidArgument(
      GeminiRequestBody(json::parse(R"({"messages":[{"role":"user","content":"hi"}],"reasoning_effort":"max"})"), fixed)
          .status()));
}

TEST(GeminiAdapter, ModelOptionsReachTheBody) {
  GeminiAdapter adapter;
  Target target = MakeTarget();
  target.gemini.system_instruction = false;
  target.gemini.safety_thresholds = {{"HARM_CATEGORY_HARASSMENT", "BLOCK_NONE"}};
  target.gemini.thinking_budget = 300;
  auto req = adapter.BuildRequest(
      target, json::parse(R"({"messages":[{"role":"system","content":"s"},{"role":"user","content":"u"}]})"), "k");
  ASSERT_TRUE(req.ok()) << req.status();
  json body = json::parse(req->body);
  EXPECT_EQ(body["contents"], json::parse(R"([{"role":"user","parts":[{"text":"s"},{"text":"u"}]}])"));
  EXPECT_EQ(body["safetySettings"][0], json::parse(R"({"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"})"));
  EXPECT_EQ(body["generationConfig"]["thinkingConfig"], json::parse(R"({"thinkingBudget":300,"includeThoughts":true})"));
  EXPECT_TRUE(req->warnings.empty());
}

TEST(GeminiAdapter, MoreThanFiveStopSequencesKeepFiveAndWarn) {
  GeminiAdapter adapter;
  auto req = adapter.BuildRequest(MakeTarget(), json::parse(R"({"messages":[{"role":"user","content":"hi"}],
    "stop":["\n{{user}}:","\n###","</s>","END","<|im_end|>","\nUser:","\nSystem:"]})"),
                                  "k");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(json::parse(req->body)["generationConfig"]["stopSequences"],
            json::parse(R"(["\n{{user}}:","\n###","</s>","END","<|im_end|>"])"));
  ASSERT_EQ(req->warnings.size(), 1u);
  EXPECT_EQ(req->warnings[0], "stop: Gemini takes at most 5 stop sequences; sent the first 5 of 7");

  for (const char* stop : {R"(["a","b","c","d","e"])", R"("a")", "[]"}) {
    auto ok = adapter.BuildRequest(
        MakeTarget(), json::parse(std::string(R"({"messages":[{"role":"user","content":"hi"}],"stop":)") + stop + "}"),
        "k");
    ASSERT_TRUE(ok.ok()) << ok.status();
    EXPECT_TRUE(ok->warnings.empty()) << stop;
  }
  std::vector<std::string> warnings;
  auto body = GeminiRequestBody(json::parse(R"({"messages":[{"role":"user","content":"hi"}],
    "stop":["1","2","3","4","5","6"]})"),
                                {}, &warnings);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(warnings, std::vector<std::string>{"stop: Gemini takes at most 5 stop sequences; sent the first 5 of 6"});
}

TEST(GeminiRequest, PartsOfEveryShape) {
  json body = Body(R"({"messages":[{"role":"user","content":[
    "plain string part",
    {"type":"text","text":""},
    {"type":"image_url","image_url":"data:image/jpeg;base64,/9j/4AAQ"},
    {"type":"text","text":"caption"}]}]})");
  json expected = json::parse(R"([{"role":"user","parts":[{"text":"plain string part"},
    {"inlineData":{"mimeType":"image/jpeg","data":"/9j/4AAQ"}},{"text":"caption"}]}])");
  EXPECT_EQ(body["contents"], expected);
}

// The body is written straight from the client's strings, not built as a tree:
// it must be what nlohmann writes for the same value (sorted keys, the same
// escapes), with every kind of member present.
TEST(GeminiRequest, BodyIsWrittenAsTheTreeWouldBe) {
  GeminiOptions options;
  options.safety_thresholds["HARM_CATEGORY_HARASSMENT"] = "BLOCK_NONE";
  options.thinking_budget = 128;
  auto body = GeminiRequestBody(json::parse(R"({"messages":[
      {"role":"system","content":"You are \"Aria\".\n\u0001\t</script>"},
      {"role":"developer","content":[{"type":"text","text":"caf\u00e9 \ud83d\ude00"}]},
      {"role":"assistant","content":"*waves*"},
      {"role":"assistant","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBOR\/w=="}}]},
      {"role":"user","content":"\\ back"},{"role":"tool","content":"t"}],
    "temperature":0.7,"max_tokens":300,"stop":["\n{{user}}:"],
    "response_format":{"type":"json_schema","json_schema":{"schema":{"type":"object","b":1,"a":[2]}}}})"),
                                options);
  ASSERT_TRUE(body.ok()) << body.status();
  json tree = json::parse(*body);
  EXPECT_EQ(*body, DumpJson(tree));
  EXPECT_EQ(tree["contents"].size(), 3u);  // ".", the merged model turns, the merged user turns
  EXPECT_EQ(tree["contents"][0], json::parse(R"({"role":"user","parts":[{"text":"."}]})"));
  EXPECT_EQ(tree["contents"][1]["parts"][1]["inlineData"], json::parse(R"({"mimeType":"image/png","data":"iVBOR/w=="})"));
  EXPECT_EQ(tree["systemInstruction"]["parts"].size(), 2u);
  EXPECT_EQ(tree["generationConfig"]["responseSchema"], json::parse(R"({"type":"object","b":1,"a":[2]})"));
  EXPECT_EQ(tree["safetySettings"][0], json::parse(R"({"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"})"));
}


// A body no processor touched is read from simdjson's document instead of a
// tree (BuildPassthrough): it must make the very request BuildRequest makes of
// the tree, or the same error, for every shape a client sends.
TEST(GeminiPassthrough, SameRequestAsTheTree) {
  GeminiOptions tuned;
  tuned.safety_thresholds["HARM_CATEGORY_HATE_SPEECH"] = "BLOCK_NONE";
  tuned.thinking_budget = 0;
  GeminiOptions no_system;
  no_system.system_instruction = false;
  const std::vector<GeminiOptions> option_sets = {GeminiOptions{}, tuned, no_system};
  const std::vector<std::string> bodies = {
      R"({"model":"g","messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"g","stream":true,"messages":[{"role":"system","content":"You are \"Aria\".\n\u0001"},
          {"role":"developer","content":[{"type":"text","text":"caf\u00e9 \ud83d\ude00"}]},
          {"role":"assistant","content":"*waves*"},{"role":"assistant","content":null},
          {"role":"user","content":["plain",{"type":"text","text":""},
            {"type":"image_url","image_url":"data:image/jpeg;base64,/9j/4AAQ"},
            {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBOR\/w=="}}]},
          {"role":"tool","content":"t"},{"content":"no role"}],
        "temperature":0.7,"top_p":1,"top_k":40,"max_tokens":300,"max_completion_tokens":200,"n":1,
        "presence_penalty":0,"frequency_penalty":0.5,"seed":7,"stop":["1","2","3","4","5","6"],
        "response_format":{"type":"json_schema","json_schema":{"schema":{"type":"object","b":1,"a":[2.5e3]}}},
        "reasoning_effort":"low","logit_bias":{},"user":"u"})",
      R"({"model":"g","stream":false,"messages":[{"role":"user","role":"assistant","content":"x","content":"y"},
          {"role":"user","content":[{"type":"text","text":"a","text":"b"}]}],"stop":"END"})",
      R"({"model":"g","messages":[]})",
      R"({"model":"g","messages":[{"role":"system","content":"only"}]})",
      R"({"model":"g","messages":[1]})",
      R"({"model":"g","messages":[{"role":"user","content":7}]})",
      R"({"model":"g","messages":[{"role":"user","content":[{"type":"input_audio"}]}]})",
      R"({"model":"g","messages":[{"role":"user","content":[{"text":"no type"}]}]})",
      R"({"model":"g","messages":[{"role":"user","content":[{"type":"text"}]}]})",
      R"({"model":"g","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/cat.png"}}]}]})",
      R"({"model":"g","messages":[{"role":"user","content":[{"type":"image_url","image_url":"data:image/png,AAAA"}]}]})",
      R"({"model":"g","messages":[{"role":"user","content":[{"type":"image_url"}]}]})",
      R"({"model":"g","messages":[{"role":"system","content":[{"type":"image_url","image_url":"data:image/png;base64,AA"}]},
          {"role":"user","content":"u"}]})",
      R"({"model":"g","messages":[{"role":"user","content":"hi"}],"temperature":"hot"})",
      R"({"model":"g","messages":[{"role":"user","content":"hi"}],"reasoning_effort":"max"})",
      R"({"model":"g","messages":[{"role":"user","content":"hi"}],"stop":[1]})",
      R"({"model":"g","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"xml"}})",
  };
  GeminiAdapter adapter;
  for (const auto& options : option_sets) {
    Target target = MakeTarget();
    target.gemini = options;
    // With the quick pass's scan (no document kept: the text is parsed
    // again) and with the document pass's (its document taken).
    for (const bool document : {false, true}) {
      for (const auto& body : bodies) {
        ChatBodyScan scan;
        if (document) {
          ASSERT_TRUE(DocumentScanChatBody(body, scan)) << body;
          ASSERT_NE(scan.kept_use, 0u);
        } else {
          ASSERT_TRUE(QuickScanChatBody(body, scan)) << body;
          ASSERT_EQ(scan.kept_use, 0u);
        }
        auto passed = adapter.BuildPassthrough(target, body, scan, "AIza-k");
        auto tree = adapter.BuildRequest(target, json::parse(body), "AIza-k");
        ASSERT_EQ(passed.ok(), tree.ok()) << body;
        if (!tree.ok()) {
          EXPECT_EQ(passed.status(), tree.status()) << body;
          continue;
        }
        EXPECT_EQ(passed->body, tree->body) << body;
        EXPECT_EQ(passed->url.ToString(), tree->url.ToString()) << body;
        EXPECT_EQ(passed->headers, tree->headers) << body;
        EXPECT_EQ(passed->warnings, tree->warnings) << body;
      }
    }
  }
}

// The document DocumentScanChatBody left behind is used while it is there;
// after another parse the text is read again, to the same request.
TEST(GeminiPassthrough, ReadsTheTextAgainAfterAnotherParse) {
  const std::string body = R"({"model":"g","messages":[{"role":"user","content":"first"}]})";
  ChatBodyScan scan;
  ASSERT_TRUE(DocumentScanChatBody(body, scan));
  ChatBodyScan other;
  ASSERT_TRUE(DocumentScanChatBody(R"({"model":"h","messages":[{"role":"user","content":"second"}]})", other));
  GeminiAdapter adapter;
  auto passed = adapter.BuildPassthrough(MakeTarget(), body, scan, "");
  ASSERT_TRUE(passed.ok()) << passed.status();
  EXPECT_EQ(json::parse(passed->body)["contents"][0]["parts"][0]["text"], "first");
}

}  // namespace
}  // namespace switchboard::providers
