// A body passed through (ScanChatBody + RewriteChatBody) must reach the
// upstream as the same JSON value the tree way (parse, set model, dump) sends.

#include "dataplane/providers/chat_scan.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dataplane/providers/json_codec.h"
#include "dataplane/providers/openai_compat.h"

namespace switchboard::providers {
namespace {

using nlohmann::json;

Target MakeTarget(std::string model) {
  Target target;
  target.url = *ParseUrl("http://127.0.0.1:9/v1/chat/completions");
  target.model_name = std::move(model);
  return target;
}

// Both ways through the OpenAI-compatible adapter; expects the same value.
void ExpectSameAsTheTreeWay(const std::string& text, const std::string& upstream_model = "upstream/model-1") {
  SCOPED_TRACE(text);
  ChatBodyScan scan;
  ASSERT_TRUE(ScanChatBody(text, scan));
  OpenAiCompatAdapter adapter;
  Target target = MakeTarget(upstream_model);
  auto passed = adapter.BuildPassthrough(target, text, scan, "sk-k");
  auto tree = adapter.BuildRequest(target, json::parse(text), "sk-k");
  ASSERT_TRUE(passed.ok());
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ(json::parse(passed->body), json::parse(tree->body)) << passed->body;
  EXPECT_EQ(passed->headers, tree->headers);
  EXPECT_EQ(scan.model, json::parse(text)["model"].get<std::string>());
}

TEST(ScanChatBodyTest, PassesBodiesOnWithOnlyTheModelReplaced) {
  for (const std::string& text : std::vector<std::string>{
           R"({"model":"mine","messages":[{"role":"user","content":"Hi"}]})",
           R"({"messages":[{"role":"user","content":"Hi"}],"temperature":0.7,"model":"mine"})",
           R"({"model":"mine","messages":[],"stream":true})",
           R"({"model":"mine","messages":[],"stream":false,"max_tokens":300,"logit_bias":{}})",
           R"({"model":"mine","messages":[],"stream":null})",
           " \n{ \"model\" : \"mine\" ,\n  \"messages\" : [ { \"role\" : \"user\" , \"content\" : \"x\" } ] }\n ",
           // Brackets, quotes, backslashes and the word model inside strings and nested objects.
           R"({"messages":[{"role":"user","content":"a } ] { [ \" \\ \"model\":\"x\" \\\\"}],"model":"mine"})",
           R"({"model":"mine","messages":[{"role":"user","content":"ends in a backslash \\"}],"n":1})",
           R"({"model":"mine","messages":[{"role":"user","content":"x","model":"inner"}],"extra":{"model":"deep"}})",
           R"({"model":"caf\u00e9 \"quoted\" \\ mod","messages":[]})",
           "{\"model\":\"mine\",\"messages\":[{\"role\":\"user\",\"content\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}]}",
           R"({"model":"mine","messages":[[[[[[]]]]]],"numbers":[1,-2.5e10,0,true,false,null]})",
       }) {
    ExpectSameAsTheTreeWay(text);
  }
  // An upstream model name that needs escaping.
  ExpectSameAsTheTreeWay(R"({"model":"mine","messages":[]})", "we\"ird\\name\n");
}

TEST(ScanChatBodyTest, AStreamedBodyAsksForUsage) {
  std::string text = R"({"model":"mine","messages":[],"stream":true})";
  ChatBodyScan scan;
  ASSERT_TRUE(ScanChatBody(text, scan));
  EXPECT_TRUE(scan.stream);
  json sent = json::parse(RewriteChatBody(text, scan, "up", true));
  EXPECT_EQ(sent["stream_options"], (json{{"include_usage", true}}));
  EXPECT_EQ(sent["model"], "up");
}

TEST(ScanChatBodyTest, KeepsTheTextAroundTheModelByteForByte) {
  std::string text = "{ \"temperature\" : 1.50 , \"model\" : \"mine\" , \"messages\" : [ ] }";
  ChatBodyScan scan;
  ASSERT_TRUE(ScanChatBody(text, scan));
  EXPECT_EQ(RewriteChatBody(text, scan, "up", false),
            "{ \"temperature\" : 1.50 , \"model\" : \"up\" , \"messages\" : [ ] }");
}

TEST(ScanChatBodyTest, TheTextIsWalkedOnlyAsFarAsTheModel) {
  // After "model" nothing is walked: an escaped key there passes through as
  // written (the upstream reads the same key); the closing brace is the last
  // character that is not space.
  ExpectSameAsTheTreeWay(R"({"model":"mine","messages":[],"te\u006dperature":1} )");
  ExpectSameAsTheTreeWay("{\"messages\":[{\"role\":\"user\",\"content\":\"}\"}],\"model\":\"mine\"}\n\t ");
  ChatBodyScan scan;
  ASSERT_TRUE(ScanChatBody(R"({"messages":[{"content":"{\"model\":1}"}],"model":"mine","top_p":1}  )", scan));
  EXPECT_EQ(scan.close, 66u);  // the text is 67 characters before the spaces
}

TEST(ScanChatBodyTest, LeavesEverythingUnusualToTheTree) {
  for (const std::string& text : std::vector<std::string>{
           "",
           "not json",
           R"({"model":"mine","messages":[]} trailing)",
           R"(["model","messages"])",
           R"({"messages":[]})",
           R"({"model":"","messages":[]})",
           R"({"model":7,"messages":[]})",
           R"({"model":"mine"})",
           R"({"model":"mine","messages":{}})",
           R"({"model":"mine","messages":[],"stream":"yes"})",
           R"({"model":"a","model":"b","messages":[]})",          // repeated key
           R"({"model":"mine","messages":[],"messages":[]})",
           R"({"mod\u0065l":"mine","messages":[]})",               // escaped key
           R"({"messages":[],"mod\u0065l":"mine"})",
           R"({"te\u006dperature":1,"model":"mine","messages":[]})",  // escaped, before model
           R"({"model":"mine","messages":[],"stream":true,"stream_options":{"include_usage":false}})",
           R"({"model":"mine","messages":[],"seed":123456789012345678901234567890})",  // beyond 64 bits
       }) {
    SCOPED_TRACE(text);
    ChatBodyScan scan;
    EXPECT_FALSE(ScanChatBody(text, scan));
  }
}

TEST(ScanChatBodyTest, LargeConversations) {
  json body = {{"model", "mine"}, {"messages", json::array()}, {"stream", true}};
  std::string paragraph = "She said \"hello\" and {waved} [twice] \\ then left. caf\xc3\xa9\n";
  std::string content;
  while (content.size() < 100000) content += paragraph;
  for (int i = 0; i < 12; ++i) body["messages"].push_back({{"role", i % 2 ? "assistant" : "user"}, {"content", content}});
  ExpectSameAsTheTreeWay(body.dump());
  ExpectSameAsTheTreeWay(body.dump(2));
}

TEST(ScanChatBodyTest, TheTreeIsBuiltFromTheScansDocumentWhileItLasts) {
  const std::string body =
      R"({"model":"m","messages":[{"role":"user","content":"hi \u00e9"}],"temperature":0.5,"n":[1,2.5,null,true]})";
  const json expected = json::parse(body);
  ChatBodyScan scan;
  ASSERT_TRUE(ScanChatBody(body, scan));
  ASSERT_NE(scan.kept_use, 0u);
  json tree;
  ParseJson(body, tree, scan.kept_use);
  EXPECT_EQ(tree, expected);

  // Another document parsed since (another request's answer, say): the scan's
  // is gone, and the body is parsed again, not the other document converted.
  ASSERT_TRUE(ScanChatBody(body, scan));
  Usage usage;
  AnswerScan answer;
  ASSERT_TRUE(ScanOpenAiAnswer(R"({"choices":[],"usage":{"prompt_tokens":3}})", usage, answer));
  json again;
  ParseJson(body, again, scan.kept_use);
  EXPECT_EQ(again, expected);

  // A body beyond the kept parser's size gets a parser of its own, gone with
  // the scan: nothing to reuse.
  json big = json::parse(body);
  big["messages"][0]["content"] = std::string(3 << 20, 'x');
  ASSERT_TRUE(ScanChatBody(big.dump(), scan));
  EXPECT_EQ(scan.kept_use, 0u);
}

}  // namespace
}  // namespace switchboard::providers
