// A body passed through (ScanChatBody + RewriteChatBody) must reach the
// upstream as the same JSON value the tree way (parse, set model, dump) sends;
// what the quick pass decides, it decides as the document pass does.

#include "dataplane/providers/chat_scan.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dataplane/providers/json_codec.h"
#include "dataplane/providers/openai_compat.h"
#include "tests/common/random_edit.h"

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

// (The quick pass leaves no document: these bodies are read by the document
// pass, as the ones the quick pass leaves undecided are.)
TEST(ScanChatBodyTest, TheTreeIsBuiltFromTheScansDocumentWhileItLasts) {
  const std::string body =
      R"({"model":"m","messages":[{"role":"user","content":"hi \u00e9"}],"temperature":0.5,"n":[1,2.5,null,true]})";
  const json expected = json::parse(body);
  ChatBodyScan scan;
  ASSERT_TRUE(DocumentScanChatBody(body, scan));
  ASSERT_NE(scan.kept_use, 0u);
  json tree;
  ParseJson(body, tree, scan.kept_use);
  EXPECT_EQ(tree, expected);

  // Another document parsed since (another request's answer, say): the scan's
  // is gone, and the body is parsed again, not the other document converted.
  ASSERT_TRUE(DocumentScanChatBody(body, scan));
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
  ASSERT_TRUE(DocumentScanChatBody(big.dump(), scan));
  EXPECT_EQ(scan.kept_use, 0u);
}

// The quick pass's verdict on `text`, checked against the document pass's:
// what it accepts, the document pass accepts with the same scan. Returns
// whether it accepted.
bool QuickAgreesWithTheDocument(const std::string& text) {
  ChatBodyScan quick, document;
  quick.model = "untouched";
  const bool decided = QuickScanChatBody(text, quick);
  const bool accepted = DocumentScanChatBody(text, document);
  if (!decided) {
    EXPECT_EQ(quick.model, "untouched") << text;
    return false;
  }
  EXPECT_TRUE(accepted) << text;
  EXPECT_EQ(quick.model, document.model) << text;
  EXPECT_EQ(quick.stream, document.stream) << text;
  EXPECT_EQ(quick.model_begin, document.model_begin) << text;
  EXPECT_EQ(quick.model_end, document.model_end) << text;
  EXPECT_EQ(quick.close, document.close) << text;
  EXPECT_EQ(quick.kept_use, 0u);
  return true;
}

// A SillyTavern-sized body: what the router sees most.
const char kSillyTavernBody[] =
    R"({"messages":[{"role":"system","content":"You are Aria, a lighthouse keeper. Stay in character."},)"
    R"({"role":"user","content":"Hello! The storm is getting worse. Can I wait inside?"},)"
    R"({"role":"assistant","content":"*opens the heavy door* Of course, come in."}],)"
    R"("model":"deepseek/deepseek-chat","temperature":0.8,"max_tokens":300,"stream":true,)"
    R"("presence_penalty":0,"frequency_penalty":0,"top_p":1,"top_k":0,"logit_bias":{},"seed":-1,)"
    R"("stop":["\nUser:"],"include_reasoning":false})";

// An English conversation of about `size` bytes, a few curly quotes and
// dashes in it, as roleplay text has.
std::string EnglishConversation(size_t size) {
  json body = {{"model", "mine"}, {"messages", json::array()}, {"temperature", 0.9}};
  const std::string line = "\xe2\x80\x9c" "Come in,\xe2\x80\x9d she said. The storm goes on outside the window, "
                           "colder now, and the lamp swings on its hook while the kettle starts to sing. ";
  while (body.dump().size() < size) {
    std::string content;
    while (content.size() < 2000) content += line;
    body["messages"].push_back({{"role", "user"}, {"content", content}});
  }
  return body.dump();
}

// The same in Japanese: nearly every byte is part of a UTF-8 sequence.
std::string JapaneseConversation(size_t size) {
  json body = {{"model", "mine"}, {"messages", json::array()}};
  const std::string line = "\xe5\xb5\x90\xe3\x81\xaf\xe3\x81\xbe\xe3\x81\xa0\xe7\xb6\x9a\xe3\x81\x84\xe3\x81\xa6"
                           "\xe3\x81\x84\xe3\x82\x8b\xe3\x80\x82";  // 嵐はまだ続いている。
  while (body.dump().size() < size) {
    std::string content;
    while (content.size() < std::min<size_t>(size - 100, 2000)) content += line;
    body["messages"].push_back({{"role", "user"}, {"content", content}});
  }
  return body.dump();
}

TEST(QuickScanChatBodyTest, DecidesTheUsualBodiesAsTheDocumentPass) {
  std::vector<std::string> bodies = {
      kSillyTavernBody,
      R"({"model":"mine","messages":[{"role":"user","content":"Hi"}]})",
      R"({"model":"mine","messages":[],"stream":null})",
      R"({"model":"mine","messages":[],"stream":false,"n":-0,"x":[1.5e-400,0.25E+3,-12,123456789012345678]})",
      " \n{ \"model\" : \"mine\" ,\n  \"messages\" : [ { \"role\" : \"user\" , \"content\" : \"x\" } ] }\n\t ",
      R"({"messages":[{"role":"user","content":"a } ] { [ \" \\ \"model\":\"x\" \\\\ \u00e9\ud83d\ude00"}],)"
      R"("model":"m"})",
      R"({"model":"mine","messages":[{"role":"user","content":"x","model":"inner"}],"extra":{"model":"deep"}})",
      "{\"model\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\",\"messages\":[{\"content\":\"\xe6\x97\xa5\xe6\x9c\xac \xdf\xbf\"}]}",
      R"({"model":"mine","messages":[[[[[[{}]]]]]],"numbers":[1,-2.5e10,0,true,false,null]})",
      EnglishConversation(100 << 10),
  };
  for (const std::string& text : bodies) {
    EXPECT_TRUE(QuickAgreesWithTheDocument(text)) << text.substr(0, 200);
    ExpectSameAsTheTreeWay(text);
  }
}

// Undecided (false), for the document pass, which accepts each of these.
TEST(QuickScanChatBodyTest, LeavesToTheDocumentPassWhatItDoesNotDecide) {
  std::string many_keys = R"({"model":"m","messages":[])";
  for (int i = 0; i < 31; ++i) many_keys += ",\"k" + std::to_string(i) + "\":" + std::to_string(i);
  std::string deep = R"({"model":"m","messages":)" + std::string(63, '[') + std::string(63, ']') + "}";
  std::string deeper = R"({"model":"m","messages":)" + std::string(64, '[') + std::string(64, ']') + "}";
  ChatBodyScan scan;
  ASSERT_FALSE(QuickScanChatBody(many_keys + "}", scan));  // 33 keys
  ASSERT_TRUE(QuickScanChatBody(many_keys.substr(0, many_keys.rfind(',')) + "}", scan));  // 32 keys
  ASSERT_TRUE(QuickScanChatBody(deep, scan));  // 64 levels with the body's own
  for (const std::string& text : std::vector<std::string>{
           many_keys + "}",
           deeper,
           R"({"model":"caf\u00e9","messages":[]})",   // an escaped model
           R"({"model":"a\/b","messages":[]})",
           R"({"model":"m","messages":[],"to\u0070_p":1})",  // an escaped key after the model
           R"({"model":"m","messages":[],"seed":1234567890123456789})",   // 19 digits
           R"({"model":"m","messages":[],"seed":-1234567890123456789})",
           R"({"model":"m","messages":[],"t":1e301})",  // might be beyond a double
           R"({"model":"m","messages":[],"t":)" + std::string(301, '1') + ".5}",
           JapaneseConversation(100 << 10),  // faster in simdjson, by the samples
           JapaneseConversation(1500),        // ... by the pass's bound, not sampled
           "\xef\xbb\xbf{\"model\":\"m\",\"messages\":[]}",  // a byte order mark
       }) {
    SCOPED_TRACE(text.substr(0, 200));
    ChatBodyScan quick, document;
    EXPECT_FALSE(QuickScanChatBody(text, quick));
    if (text[0] == '\xef') continue;  // (simdjson refuses it too)
    EXPECT_TRUE(DocumentScanChatBody(text, document));
    EXPECT_TRUE(ScanChatBody(text, quick));
    EXPECT_NE(quick.kept_use, 0u);  // the document pass's scan
  }
  // Accented letters in the middle of ASCII, between the samples (of a body
  // over 16 KiB: eight windows of 512 bytes, the first at its start, the last
  // at its end, spread evenly; in 140,000 bytes the fourth and fifth start at
  // 59,781 and 79,708): the pass stops at its own bound, a third of the body.
  const std::string head = R"({"model":"m","messages":[{"content":")";
  std::string accents;
  for (int i = 0; i < 6000; ++i) accents += "\xc3\xa9.";  // é.: 60,000 of UTF-8 work
  std::string text = head + std::string(61000 - head.size(), 'a') + accents + std::string(60996, 'a') + "\"}]}";
  ASSERT_EQ(text.size(), 140000u);
  EXPECT_FALSE(QuickScanChatBody(text, scan));
  EXPECT_TRUE(DocumentScanChatBody(text, scan));
  // Half as many: within the bound.
  text.replace(61000 + accents.size() / 2, accents.size() / 2, accents.size() / 2, 'a');
  EXPECT_TRUE(QuickAgreesWithTheDocument(text));
}

// What the document pass refuses, the quick pass refuses: each of the
// unusual bodies above, and every body that is not JSON in the ways JSON's
// grammar, UTF-8 and escapes can fail.
TEST(QuickScanChatBodyTest, RefusesWhatTheDocumentPassRefuses) {
  const std::string ok = R"({"model":"m","messages":[{"content":"X"}]})";
  const size_t x = ok.find('X');
  auto with = [&](const std::string& inside) { return ok.substr(0, x) + inside + ok.substr(x + 1); };
  std::vector<std::string> texts = {
      "", " ", "{", "}", "[]", "null", R"("model")", ok + ",", ok + "}", ok + " x", "{" + ok + "}", ok + ",{}",
      ok + " " + ok, ok + "]", "[" + ok + "]",
      R"({"model":"m","messages":[],})", R"({"model":"m",,"messages":[]})", R"({"model":"m" "messages":[]})",
      R"({"model":"m","messages":[1,]})", R"({"model":"m","messages":[01]})", R"({"model":"m","messages":[1.]})",
      R"({"model":"m","messages":[.5]})", R"({"model":"m","messages":[1e]})", R"({"model":"m","messages":[-]})",
      R"({"model":"m","messages":[+1]})", R"({"model":"m","messages":[tru]})", R"({"model":"m","messages":[nul]})",
      R"({"model":"m","messages":[True]})", R"({"model":"m","messages":[{"a"}]})",
      R"({"model":"m","messages":[{1:2}]})",
      R"({"model":"m","messages":[}])", R"({"model":"m","messages":[{]})", R"({model:"m","messages":[]})",
      R"({'model':'m','messages':[]})", std::string("{\"model\":\"m\",\"messages\":[]}\0", 28),
      with("\\x"), with("\\u12"), with("\\u12g4"), with("\\ud800"), with("\\udc00"), with("\\ud800\\u0041"),
      with("\\ud800x"), with(std::string(1, '\0')), with("\x01"), with("\x1f"), with("\n"), with("\t"),
      with("\x80"), with("\xbf"), with("\xc0\x80"), with("\xc1\xbf"), with("\xc3"), with("\xc3\x28"),
      with("\xe0\x80\x80"), with("\xe0\x9f\xbf"), with("\xed\xa0\x80"), with("\xed\xbf\xbf"), with("\xe6\x97"),
      with("\xf0\x80\x80\x80"), with("\xf0\x8f\xbf\xbf"), with("\xf4\x90\x80\x80"), with("\xf5\x80\x80\x80"),
      with("\xff"), with("\xf0\x9f\x98"), "{\"model\":\"m\",\"messages\":[]}\xc3\xa9",
      R"({"model":"","messages":[]})", R"({"model":7,"messages":[]})", R"({"model":"m"})",
      R"({"model":"m","messages":{}})", R"({"model":"m","messages":[],"stream":"yes"})",
      R"({"model":"m","messages":[],"stream":1})", R"({"model":"m","messages":[],"seed":99999999999999999999})",
      R"({"model":"m","messages":[],"seed":-9999999999999999999})", R"({"model":"m","messages":[],"t":1e400})",
      R"({"model":"m","messages":[],"t":-2e308})", R"({"model":"a","model":"a","messages":[]})",
      R"({"model":"m","messages":[],"n":1,"n":1})", R"({"messages":[]})",
      R"({"model":"m","messages":[],"stream":true,"stream_options":{"include_usage":false}})",
  };
  for (const std::string& text : texts) {
    SCOPED_TRACE(text);
    ChatBodyScan scan;
    EXPECT_FALSE(QuickScanChatBody(text, scan));
    EXPECT_FALSE(DocumentScanChatBody(text, scan));
  }
}

// Random edits of real bodies: whatever the quick pass accepts, the document
// pass accepts, read the same; and the quick pass decides nearly everything
// the document pass accepts (what it leaves arises only where an edit makes
// an escape or a long number).
TEST(QuickScanChatBodyTest, AgreesWithTheDocumentPassOnEditedBodies) {
  const std::vector<std::string> seeds = {
      kSillyTavernBody,
      R"({"model":"m","stream":false,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],)"
      R"("n":[1,2.5e3,-0.5]})",
      "{\"model\":\"m\",\"messages\":[{\"content\":\"\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 caf\xc3\xa9\"}]}",
      R"({"messages":[{"content":"say \"hi\"\n"}],"model":"mine","stream":null,"logit_bias":{"50256":-100}})",
  };
  const std::string alphabet =
      "{}[]\":,0123456789.eE-tfnrulas mxyz\t\n\\u\xc3\xa9\xe6\x97\xf0\x9f\x80\xbf\xed\xa0\x01";
  std::mt19937 rng(20261129);
  int accepted = 0, decided = 0;
  for (int round = 0; round < 30000; ++round) {
    std::string text = seeds[rng() % seeds.size()];
    test_util::EditRandomly(text, rng, alphabet);
    ChatBodyScan scan;
    if (DocumentScanChatBody(text, scan)) ++accepted;
    if (QuickAgreesWithTheDocument(text)) ++decided;
    if (HasFailure()) break;  // one edited body's report is enough
  }
  // Many edits keep a valid body (a changed letter inside a string), and the
  // quick pass decides most of them.
  EXPECT_GT(accepted, 5000);
  EXPECT_GT(decided, accepted * 9 / 10);
}

// Without `quick_first` (no model passes text through), simdjson reads the
// body at once, and its document is kept for the tree or Gemini's translation.
TEST(ScanChatBodyTest, WithoutQuickFirstTheDocumentIsRead) {
  ChatBodyScan quick, document;
  ASSERT_TRUE(ScanChatBody(kSillyTavernBody, quick));
  EXPECT_EQ(quick.kept_use, 0u);
  ASSERT_TRUE(ScanChatBody(kSillyTavernBody, document, /*quick_first=*/false));
  EXPECT_NE(document.kept_use, 0u);
  EXPECT_EQ(quick.model, document.model);
  EXPECT_EQ(quick.model_begin, document.model_begin);
  EXPECT_EQ(quick.close, document.close);
}

// The body's closing brace and model are found where they are, with every
// amount of space around, and the rewrite around them keeps the rest.
TEST(QuickScanChatBodyTest, FindsTheModelAndTheCloseAsTheDocumentPass) {
  for (const std::string space : {"", " ", "\n\t\r "}) {
    const std::string text = space + "{" + space + R"("n":1)" + space + "," + space + R"("model")" + space + ":" +
                             space + R"("m")" + space + "," + space + R"("messages":[])" + space + "}" + space;
    EXPECT_TRUE(QuickAgreesWithTheDocument(text)) << text;
  }
}

}  // namespace
}  // namespace switchboard::providers
