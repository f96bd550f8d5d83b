// QuickScanOpenAiAnswer against nlohmann's parser, which has the last word on
// what is JSON: whatever the quick pass accepts, nlohmann accepts, and it reads
// the same members; what it declines is either not JSON or one of the cases it
// leaves to the full parse, which ScanOpenAiAnswer then still gets right.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dataplane/providers/errors.h"
#include "dataplane/providers/json_codec.h"

namespace switchboard::providers {
namespace {

using nlohmann::json;

// What the translator needs of `text`, read from nlohmann's tree; false when
// nlohmann refuses the text.
bool Reference(const std::string& text, const Usage& before, Usage& usage, AnswerScan& scan) {
  json value = json::parse(text, nullptr, false);
  if (value.is_discarded()) return false;
  usage = before;
  scan = AnswerScan();
  if (!value.is_object()) return true;
  scan.object = true;
  scan.has_usage = value.contains("usage");
  auto choices = value.find("choices");
  scan.empty_choices = choices != value.end() && choices->is_array() && choices->empty();
  ReadOpenAiUsage(value, usage);
  return true;
}

void ExpectSameUsage(const Usage& actual, const Usage& expected) {
  EXPECT_EQ(actual.prompt_tokens, expected.prompt_tokens);
  EXPECT_EQ(actual.completion_tokens, expected.completion_tokens);
  EXPECT_EQ(actual.total_tokens, expected.total_tokens);
}

void ExpectSameScan(const AnswerScan& actual, const AnswerScan& expected) {
  EXPECT_EQ(actual.object, expected.object);
  EXPECT_EQ(actual.has_usage, expected.has_usage);
  EXPECT_EQ(actual.empty_choices, expected.empty_choices);
}

const Usage kBefore{7, 8, 15};

// The quick pass decides `text`, as nlohmann does. Whether it is JSON.
bool ExpectDecidedLikeNlohmann(const std::string& text) {
  SCOPED_TRACE(text);
  Usage expected_usage;
  AnswerScan expected_scan;
  bool is_json = Reference(text, kBefore, expected_usage, expected_scan);
  Usage usage = kBefore;
  AnswerScan scan;
  bool accepted = QuickScanOpenAiAnswer(text, usage, scan);
  EXPECT_EQ(accepted, is_json);
  if (accepted && is_json) {
    ExpectSameUsage(usage, expected_usage);
    ExpectSameScan(scan, expected_scan);
  }
  return is_json;
}

TEST(QuickScanOpenAiAnswerTest, ReadsChunksAndAnswersAsTheTreeDoes) {
  for (const std::string& text : std::vector<std::string>{
           R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m",)"
           R"("choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]})",
           R"({"id":"c","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":30,"total_tokens":42}})",
           R"({"choices":[{"message":{"role":"assistant","content":"x"},"finish_reason":"stop"}],)"
           R"("usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,)"
           R"("prompt_tokens_details":{"cached_tokens":2,"prompt_tokens":99}}})",
           // Only what is there is read; the rest keeps its value.
           R"({"usage":{"completion_tokens":5}})",
           // Not integers: not read (the tree says not is_number_integer).
           R"({"usage":{"prompt_tokens":5.0,"completion_tokens":1e2,"total_tokens":"9"}})",
           R"({"usage":{"prompt_tokens":null,"completion_tokens":true,"total_tokens":[1]}})",
           // The last of repeated members counts, and only the last "usage".
           R"({"usage":{"prompt_tokens":1,"prompt_tokens":2},"usage":{"total_tokens":3}})",
           R"({"usage":{"total_tokens":42,"total_tokens":{"cached":5},"prompt_tokens":1,"prompt_tokens":"x"}})",
           R"({"usage":{"prompt_tokens":1},"usage":null})",
           R"({"usage":{"prompt_tokens":1},"usage":{}})",
           R"({"choices":[],"choices":[1]})",
           R"({"choices":[1],"choices":[ ]})",
           R"({"choices":{}})",
           // A usage-shaped member elsewhere is not the usage.
           R"({"x":{"usage":{"prompt_tokens":1}},"y":{"prompt_tokens":2}})",
           R"({"usage":{},"x":{"prompt_tokens":2}})",
           R"({"usage":[{"prompt_tokens":2}]})",
           R"([{"usage":{"prompt_tokens":1}}])",
           // Values of every kind, and every escape, in strings the pass does not read.
           R"({"a":[true,false,null,0,-0,1.5,-2.25e10,1E-7,1e+3,123456789012345678901234567890],"b":{},"c":[]})",
           R"({"s":"quote \" backslash \\ slash \/ \b\f\n\r\t \u0001 \u00e9 \uD83D\uDE00 \uffff"})",
           "{\"utf8\":\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xee\x80\x80\"}",
           " \t\r\n{ \"choices\" : [ ] , \"usage\" : { \"prompt_tokens\" : 1 } } \n",
           R"("just a string")", "42", "null", "[]", "{}",
           R"({"long":"an ASCII string long enough that the word-at-a-time scan runs over several words of it"})",
       }) {
    ExpectDecidedLikeNlohmann(text);
  }
}

TEST(QuickScanOpenAiAnswerTest, RefusesWhatIsNotJson) {
  for (const std::string& text : std::vector<std::string>{
           "", " ", "{", "}", "[", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":}", "{1:2}", "{'a':1}", "[1 2]", "[1] 2",
           "01", "-", "1.", ".5", "1e", "1e+", "+1", "tru", "nul", "True", "nan", "[Infinity]", "\"open",
           "\"tab\there\"", std::string("\"nul\0byte\"", 10), "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"",
           // Surrogate escapes: a high one needs a low one after it, a low one never stands alone.
           R"("\ud800")", R"("\ud800x")", R"("\ud800\u0041")", R"("\udc00")", R"("\ud800\ud800")",
           // UTF-8: overlong forms, surrogates, beyond U+10FFFF, cut short, stray continuation bytes.
           "\"\xc0\xaf\"", "\"\xc1\xbf\"", "\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"", "\"\xf0\x80\x80\xaf\"",
           "\"\xf4\x90\x80\x80\"", "\"\xf5\x80\x80\x80\"", "\"\xff\"", "\"\xc3\"", "\"\xe6\x97\"", "\"\x80\"",
           "\"caf\xc3\"", "{\"a\":\"\xe6\x97\xa5\xe6\x9c\"}",
           // Bytes outside strings.
           "{\"a\":1}\xc3\xa9", "/*c*/{}", "{}//",
           // More than one value.
           "{},{}", "1,2", "[] []", "{\"a\":1}]", "[1]}",
       }) {
    ExpectDecidedLikeNlohmann(text);
  }
}

TEST(QuickScanOpenAiAnswerTest, LeavesToTheFullParseWhatItDoesNotDecide) {
  std::string deep = std::string(65, '[') + std::string(65, ']');
  for (const std::string& text : std::vector<std::string>{
           // A key it reads, written with an escape.
           R"({"us\u0061ge":{"prompt_tokens":1},"choices":[]})",
           R"({"usage":{"prompt\u005ftokens":5}})",
           // (found by the fuzzer: the full parse too takes a repeated count's last value)
           R"({"usage":{"total_tokens":42,"pr\"x":1,"total_tokens":{"cached_tokens":5}}})",
           // Counts that are negative or too long for its reading.
           R"({"usage":{"prompt_tokens":-1}})",
           R"({"usage":{"total_tokens":-0}})",
           R"({"usage":{"total_tokens":9223372036854775807}})",
           R"({"usage":{"total_tokens":18446744073709551615}})",
           // Numbers that might be beyond a double's range (nlohmann refuses 1e400).
           R"({"created":1e301,"choices":[]})",
           deep,
       }) {
    SCOPED_TRACE(text);
    Usage usage = kBefore;
    AnswerScan scan;
    scan.object = true;
    EXPECT_FALSE(QuickScanOpenAiAnswer(text, usage, scan));
    // Left untouched ...
    ExpectSameUsage(usage, kBefore);
    EXPECT_TRUE(scan.object);
    // ... and ScanOpenAiAnswer still reads it as the tree does.
    Usage expected_usage;
    AnswerScan expected_scan;
    ASSERT_TRUE(Reference(text, kBefore, expected_usage, expected_scan));
    ASSERT_TRUE(ScanOpenAiAnswer(text, usage, scan));
    ExpectSameUsage(usage, expected_usage);
    ExpectSameScan(scan, expected_scan);
  }
  // An integer past 64 bits, within a double's range: undecided here, refused by
  // simdjson too, and so left to nlohmann (which accepts it) by the translator.
  {
    std::string text = R"({"x":)" + std::string(301, '9') + "}";
    Usage usage = kBefore, ignored_usage;
    AnswerScan scan, ignored_scan;
    EXPECT_TRUE(Reference(text, kBefore, ignored_usage, ignored_scan));
    EXPECT_FALSE(QuickScanOpenAiAnswer(text, usage, scan));
    EXPECT_FALSE(ScanOpenAiAnswer(text, usage, scan));
  }
  // Beyond a double's range: nlohmann refuses it, and so does ScanOpenAiAnswer.
  for (const std::string& text : {std::string(R"({"created":1e400})"), R"([)" + std::string(400, '9') + "]"}) {
    Usage usage = kBefore;
    AnswerScan scan;
    Usage ignored_usage;
    AnswerScan ignored_scan;
    EXPECT_FALSE(Reference(text, kBefore, ignored_usage, ignored_scan)) << text;
    EXPECT_FALSE(QuickScanOpenAiAnswer(text, usage, scan)) << text;
    EXPECT_FALSE(ScanOpenAiAnswer(text, usage, scan)) << text;
  }
  // Escapes in keys it does not read, and deep nesting up to its limit, it decides.
  ExpectDecidedLikeNlohmann(R"({"x":{"us\u0061ge":1},"usage":{"d":{"n\u0061me":1},"total_tokens":4}})");
  ExpectDecidedLikeNlohmann(std::string(64, '[') + std::string(64, ']'));
}

// Random edits of real chunks: whatever the quick pass accepts nlohmann
// accepts, read the same, and what nlohmann accepts the quick pass accepts
// too (the edits make no backslash, minus sign or long number, so none of the
// cases it leaves on purpose arise).
TEST(QuickScanOpenAiAnswerTest, AgreesWithNlohmannOnEditedChunks) {
  const std::vector<std::string> seeds = {
      R"({"id":"chatcmpl-9","object":"chat.completion.chunk","created":1700000000,"model":"gpt",)"
      R"("choices":[{"index":0,"delta":{"content":"The dragon \"sighs\"\n"},"finish_reason":null}]})",
      R"({"id":"c","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":30,"total_tokens":42}})",
      "{\"choices\":[{\"delta\":{\"content\":\"\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 caf\xc3\xa9\"}}]}",
      R"({"a":[true,false,null,0,1.5,2e3],"b":{"c":{}},"usage":{"total_tokens":1}})",
  };
  const std::string alphabet = "{}[]\":,0123456789.eEtrufalsn xyz\t\n\xc3\xa9\xe6\x97\xf0\x9f\x80\xbf\xed\xa0\x01";
  std::mt19937 random(20261129);
  int accepted = 0, refused = 0;
  for (int round = 0; round < 40000; ++round) {
    std::string text = seeds[random() % seeds.size()];
    int edits = 1 + static_cast<int>(random() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      size_t at = random() % text.size();
      char byte = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0: text[at] = byte; break;
        case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), byte); break;
        default: text.erase(at, 1); break;
      }
    }
    bool is_json = ExpectDecidedLikeNlohmann(text);
    if (HasFailure()) break;  // one edited text's report is enough
    (is_json ? accepted : refused)++;
  }
  // Both kinds were met often (the edits keep about a third of the chunks JSON).
  EXPECT_GT(accepted, 4000);
  EXPECT_GT(refused, 4000);
}

}  // namespace
}  // namespace switchboard::providers
