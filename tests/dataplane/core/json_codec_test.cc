// ParseJson and DumpJson must agree with nlohmann's own parse and dump on
// every input: same tree, same error (and error position), same bytes out.

#include "dataplane/providers/json_codec.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::providers {
namespace {

using nlohmann::json;

std::string NlohmannDump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// Parses `text` both ways; expects the same value, of the same kinds.
void ExpectParsesLikeNlohmann(const std::string& text) {
  SCOPED_TRACE(text);
  json expected = json::parse(text);
  json actual;
  ParseJson(text, actual);
  EXPECT_EQ(actual, expected);
  EXPECT_EQ(NlohmannDump(actual), NlohmannDump(expected));
}

TEST(ParseJsonTest, MatchesNlohmannOnEveryKindOfValue) {
  for (const std::string& text : std::vector<std::string>{
           R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"stream":true})",
           R"([1,-1,0,-0,1.5,-2.25e10,1e-7,9223372036854775807,9223372036854775808,18446744073709551615])",
           R"({"a":null,"b":true,"c":false,"d":{},"e":[],"f":""})",
           R"({"esc":"quote \" backslash \\ slash \/ \b\f\n\r\t \u0001 \u00e9 \ud83d\ude00"})",
           "{\"utf8\":\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"}",
           R"({"dup":1,"dup":2})",
           "  \n\t[ 1 , 2 ]\r\n ",
           R"("just a string")",
           "12345678901234567890123",  // beyond 64 bits: nlohmann makes it a double
           R"([[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]])",
       }) {
    ExpectParsesLikeNlohmann(text);
  }
}

TEST(ParseJsonTest, KeepsNlohmannsNumberKinds) {
  json value;
  ParseJson(R"({"u":5,"i":-5,"d":5.0,"big":18446744073709551615})", value);
  EXPECT_TRUE(value["u"].is_number_unsigned());
  EXPECT_TRUE(value["i"].is_number_integer() && !value["i"].is_number_unsigned());
  EXPECT_TRUE(value["d"].is_number_float());
  EXPECT_TRUE(value["big"].is_number_unsigned());
}

TEST(ParseJsonTest, ErrorsAreNlohmannsWithTheirPosition) {
  for (const std::string& text : std::vector<std::string>{std::string(""), std::string("{"), std::string(R"({"a":1,})"),
                                 std::string(R"({"a":"\ud800"})"), std::string("[1] 2"), std::string("{\"a\":\"\xff\"}"),
                                 std::string("{\"a\":\"tab\there\"}"), std::string("[01]")}) {
    SCOPED_TRACE(text);
    size_t expected_byte = 0;
    try {
      json accepted = json::parse(text);
      FAIL() << "nlohmann accepted it";
    } catch (const json::parse_error& e) {
      expected_byte = e.byte;
    }
    json value;
    try {
      ParseJson(text, value);
      ADD_FAILURE() << "accepted";
    } catch (const json::parse_error& e) {
      EXPECT_EQ(e.byte, expected_byte);
    }
  }
}

TEST(ParseJsonTest, ANumberBeyondADoubleIsOutOfRangeAsWithNlohmann) {
  json value;
  EXPECT_THROW(ParseJson("[1e999]", value), json::out_of_range);
}

TEST(ParseJsonTest, LargeBodiesParseTheSame) {
  json body = {{"model", "m"}, {"messages", json::array()}};
  std::string paragraph = "She looked up. \"You came back,\" she said.\n\tcaf\xc3\xa9 \xf0\x9f\x98\x80 ";
  std::string content;
  while (content.size() < 8192) content += paragraph;
  for (size_t size = 0; size < (3u << 20); size += content.size()) {  // past the size a thread's parser keeps
    body["messages"].push_back({{"role", "user"}, {"content", content}});
  }
  ExpectParsesLikeNlohmann(body.dump());
}

TEST(DumpJsonTest, WritesTheSameBytesAsNlohmann) {
  json value = json::parse(R"({
    "z": [1, -1, 0, 1.5, 1e300, -0.0, 18446744073709551615, true, false, null, {}, [], ""],
    "a": {"nested": {"deeper": ["x", {"k": "v"}]}},
    "esc": "quote \" backslash \\ \b\f\n\r\t \u0001 \u001f \u007f \u00e9 \ud83d\ude00",
    "keys \" need escaping too\n": 1
  })");
  value["float"] = 0.1;
  value["control"] = std::string("nul\0byte", 8);
  EXPECT_EQ(DumpJson(value), NlohmannDump(value));
}

TEST(DumpJsonTest, EverySpecialCharacterAtEveryOffsetOfAWord) {
  // The writer skips plain text sixteen (SSE2) or eight bytes at a time: a
  // character that needs escaping or checking must be found wherever it
  // falls, in a block, across two, in the tail after the last whole block
  // (looked at as the last eight bytes, overlapping the ones before), in
  // texts of every length up to three blocks.
  for (const std::string& special : std::vector<std::string>{"\"", "\\", "\n", std::string(1, '\0'), "\x1f", "\x7f",
                                                             " ", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xff", "\x80"}) {
    for (size_t length = 0; length <= 48; ++length) {
      for (size_t at = 0; at <= length; ++at) {
        std::string text(length, 'a');
        text.insert(at, special);
        json value = text;
        EXPECT_EQ(DumpJson(value), NlohmannDump(value)) << "at " << at << " of " << length;
      }
    }
  }
}

TEST(DumpJsonTest, InvalidUtf8IsReplacedAsNlohmannDoes) {
  for (const std::string& bad : std::vector<std::string>{std::string("\xff"), std::string("ab\xc3"), std::string("\xed\xa0\x80"),
                                std::string("\xe0\x80\x80"), std::string("\xf4\x90\x80\x80"), std::string("ok\xc0\xafok")}) {
    json value = {{"content", bad}, {"other", "fine"}};
    EXPECT_EQ(DumpJson(value), NlohmannDump(value));
  }
}

TEST(AppendJsonStringTest, PlainTextIsWhatItCopiesUnchanged) {
  // At every offset of texts short and long (the check runs 16 and 8 bytes at
  // a time): plain exactly when every byte is printable ASCII (DEL too) other
  // than '"' and '\\', and then AppendJsonString writes it between quotes as is.
  for (const std::string& special : std::vector<std::string>{"", "\x7f", "\"", "\\", "\n", "\x1f", "\xc3\xa9", "\x80"}) {
    for (size_t length = 0; length <= 40; ++length) {
      for (size_t at = 0; at <= length; ++at) {
        std::string text(length, 'k');
        text.insert(at, special);
        const bool plain = special.empty() || special == "\x7f";
        EXPECT_EQ(IsPlainJsonText(text), plain) << "at " << at << " of " << length;
        if (plain) {
          std::string quoted;
          ASSERT_TRUE(AppendJsonString(text, quoted));
          EXPECT_EQ(quoted, "\"" + text + "\"");
        }
      }
    }
  }
}

TEST(AppendJsonStringTest, QuotesEscapesAndRefusesBadUtf8) {
  std::string out = "x";
  EXPECT_TRUE(AppendJsonString("a\"b\n", out));
  EXPECT_EQ(out, "x\"a\\\"b\\n\"");
  EXPECT_FALSE(AppendJsonString("bad\xff", out));
  EXPECT_EQ(out, "x\"a\\\"b\\n\"") << "a refused string leaves the output as it was";
  std::string replaced;
  AppendJsonStringReplacing("bad\xff", replaced);
  EXPECT_EQ(replaced, NlohmannDump(json(std::string("bad\xff"))));
}

// What the translator read before the fast scan: nlohmann's tree.
struct NlohmannScan {
  bool valid = false;
  AnswerScan scan;
  Usage usage;
};
NlohmannScan ScanWithNlohmann(const std::string& text) {
  NlohmannScan out;
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return out;
  out.valid = true;
  if (!parsed.is_object()) return out;
  out.scan.object = true;
  out.scan.has_usage = parsed.contains("usage");
  auto choices = parsed.find("choices");
  out.scan.empty_choices = choices != parsed.end() && choices->is_array() && choices->empty();
  ReadOpenAiUsage(parsed, out.usage);
  return out;
}

TEST(ScanOpenAiAnswerTest, ReadsWhatNlohmannsTreeSays) {
  for (const std::string& text : std::vector<std::string>{
           R"({"id":"c","choices":[{"message":{"role":"assistant","content":"hi"}}]})",
           R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}})",
           R"({"choices":[{"delta":{"content":"x"}}],"usage":null})",
           R"({"usage":{"prompt_tokens":"12","completion_tokens":3.5,"total_tokens":-1}})",
           R"({"usage":{"prompt_tokens":18446744073709551615}})",   // beyond int64: wraps, as get<int64_t>
           R"({"usage":{"prompt_tokens":1},"usage":{"prompt_tokens":2}})",  // the last one counts
           R"({"choices":[1],"choices":[]})",
           R"({"choices":{}})",
           R"({"content":"the word \"usage\" inside a string","choices":[]})",
           R"([{"usage":{"prompt_tokens":1}}])",
           R"("text")",
           "42",
       }) {
    SCOPED_TRACE(text);
    NlohmannScan expected = ScanWithNlohmann(text);
    ASSERT_TRUE(expected.valid);
    AnswerScan scan;
    Usage usage;
    ASSERT_TRUE(ScanOpenAiAnswer(text, usage, scan));
    EXPECT_EQ(scan.object, expected.scan.object);
    EXPECT_EQ(scan.has_usage, expected.scan.has_usage);
    EXPECT_EQ(scan.empty_choices, expected.scan.empty_choices);
    EXPECT_EQ(usage.prompt_tokens, expected.usage.prompt_tokens);
    EXPECT_EQ(usage.completion_tokens, expected.usage.completion_tokens);
    EXPECT_EQ(usage.total_tokens, expected.usage.total_tokens);
  }
}

TEST(ScanOpenAiAnswerTest, RefusesWhatSimdjsonCannotDecideAndLeavesUsageAlone) {
  for (const std::string& text : std::vector<std::string>{
           "", "{", R"({"a":1,})", "not json", R"({"usage":{"prompt_tokens":5}} trailing)",
           R"({"usage":{"prompt_tokens":123456789012345678901234567890}})",  // nlohmann's to decide
       }) {
    SCOPED_TRACE(text);
    AnswerScan scan;
    Usage usage{7, 8, 9};
    EXPECT_FALSE(ScanOpenAiAnswer(text, usage, scan));
    EXPECT_EQ(usage.prompt_tokens, 7);
    EXPECT_EQ(usage.total_tokens, 9);
  }
}

}  // namespace
}  // namespace switchboard::providers
