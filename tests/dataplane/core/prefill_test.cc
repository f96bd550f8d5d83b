// Prefill stripping: whole answers, streamed answers split anywhere, whitespace
// variants, answers that only look like the prefill for a while.

#include "dataplane/providers/prefill.h"

#include <gtest/gtest.h>

#include "dataplane/providers/openai_compat.h"

namespace switchboard::providers {
namespace {

using nlohmann::json;

std::string Strip(std::string_view prefill, std::string_view answer) {
  PrefillMatcher matcher(prefill);
  std::string out = matcher.Push(answer);
  return out + matcher.Finish();
}

// Feeds `answer` one byte at a time; returns what the client saw.
std::string StripBytewise(std::string_view prefill, std::string_view answer) {
  PrefillMatcher matcher(prefill);
  std::string out;
  for (char c : answer) out += matcher.Push(std::string_view(&c, 1));
  return out + matcher.Finish();
}

struct Case {
  const char* prefill;
  const char* answer;
  const char* seen;
};

TEST(PrefillMatcher, Table) {
  const Case cases[] = {
      {"((OOC: Sure!))", "((OOC: Sure!)) The rain fell.", "The rain fell."},
      {"((OOC: Sure!))", "((OOC: Sure!))\n\nThe rain fell.", "The rain fell."},
      {"((OOC: Sure!))", "  \n((OOC:   Sure!))The rain fell.", "The rain fell."},   // leading space, wider gap
      {"((OOC: Sure!))", "((OOC:Sure!)) x", "x"},                                   // gap collapsed to none
      {"  Sure,\n here  ", "Sure, here we go", "we go"},                            // the prefill's own spacing
      {"((OOC: Sure!))", "The rain fell.", "The rain fell."},                       // no prefill in the answer
      {"((OOC: Sure!))", "((OOC: No.)) Fine.", "((OOC: No.)) Fine."},               // diverges half-way
      {"((OOC: Sure!))", "  ((OOC: Su", "  ((OOC: Su"},                            // ends inside: all released
      {"((OOC: Sure!))", "((OOC: Sure!))", ""},                                     // only the prefill
      {"((OOC: Sure!))", "", ""},
      {"", "anything", "anything"},                                                 // no prefill at all
      {"Sure", "sure thing", "sure thing"},                                         // case matters
      {"Élan —", "Élan — vital", "vital"},                                          // UTF-8 bytes
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Strip(c.prefill, c.answer), c.seen) << "prefill '" << c.prefill << "' answer '" << c.answer << "'";
    EXPECT_EQ(StripBytewise(c.prefill, c.answer), c.seen) << "bytewise: prefill '" << c.prefill << "'";
  }
}

TEST(PrefillMatcher, HoldsBackOnlyWhatCouldStillBeThePrefill) {
  PrefillMatcher matcher("((OOC: Sure!))");
  EXPECT_EQ(matcher.Push("((OO"), "");      // could be the prefill: held
  EXPECT_FALSE(matcher.settled());
  EXPECT_EQ(matcher.Push("X and"), "((OOX and");  // cannot: released at once, with the rest
  EXPECT_TRUE(matcher.settled());
  EXPECT_EQ(matcher.Push(" more"), " more");
  EXPECT_FALSE(matcher.stripped());

  PrefillMatcher second("Hi");
  EXPECT_EQ(second.Push("H"), "");
  EXPECT_EQ(second.Push("i"), "");
  EXPECT_TRUE(second.stripped());
  EXPECT_EQ(second.Push("  "), "");       // whitespace right after the prefill goes with it
  EXPECT_EQ(second.Push(" there"), "there");
}

RequestInfo StreamInfo() {
  RequestInfo info;
  info.requested_model = "m";
  info.stream = true;
  return info;
}

std::string Chunk(int index, const json& delta, const json& finish = nullptr) {
  return json{{"id", "c1"},
              {"object", "chat.completion.chunk"},
              {"created", 1},
              {"model", "m"},
              {"choices", {{{"index", index}, {"delta", delta}, {"finish_reason", finish}}}}}
      .dump();
}

std::string ContentOf(const std::vector<std::string>& payloads, int index) {
  std::string text;
  for (const auto& payload : payloads) {
    json chunk = json::parse(payload);
    for (const auto& choice : chunk["choices"]) {
      if (choice["index"] == index && choice["delta"].contains("content")) text += choice["delta"]["content"];
    }
  }
  return text;
}

TEST(PrefillStrippingTranslator, StreamSplitAcrossChunksAndChoices) {
  OpenAiCompatAdapter adapter;
  auto translator = NewPrefillStrippingTranslator(adapter.NewTranslator(StreamInfo()), "((OOC: Sure!))");
  std::vector<std::string> out;
  translator->TranslateEvent(Chunk(0, {{"role", "assistant"}, {"content", ""}}), out);
  translator->TranslateEvent(Chunk(0, {{"content", "((OOC"}}), out);
  translator->TranslateEvent(Chunk(1, {{"content", "Nope"}}), out);
  translator->TranslateEvent(Chunk(0, {{"content", ": Sure"}}), out);
  translator->TranslateEvent(Chunk(0, {{"content", "!)) Once"}}), out);
  translator->TranslateEvent(Chunk(0, {{"content", " upon"}}, "stop"), out);
  translator->TranslateEvent(Chunk(1, {{"content", " way"}}, "stop"), out);
  translator->TranslateEvent("[DONE]", out);
  translator->Finish(out);
  EXPECT_TRUE(translator->done());
  EXPECT_EQ(ContentOf(out, 0), "Once upon");
  EXPECT_EQ(ContentOf(out, 1), "Nope way");
  EXPECT_EQ(json::parse(out[0])["choices"][0]["delta"]["role"], "assistant");  // other fields kept
}

TEST(PrefillStrippingTranslator, HeldTextIsReleasedWhenTheStreamEndsEarly) {
  OpenAiCompatAdapter adapter;
  auto translator = NewPrefillStrippingTranslator(adapter.NewTranslator(StreamInfo()), "((OOC: Sure!))");
  std::vector<std::string> out;
  translator->TranslateEvent(Chunk(0, {{"content", "((OOC"}}), out);
  translator->Finish(out);  // no finish_reason, no [DONE]
  EXPECT_EQ(ContentOf(out, 0), "((OOC");
}

TEST(PrefillStrippingTranslator, WholeBodyAndUsage) {
  OpenAiCompatAdapter adapter;
  RequestInfo info;
  info.requested_model = "m";
  auto translator = NewPrefillStrippingTranslator(adapter.NewTranslator(info), "Sure!");
  json body = {{"id", "x"},
               {"object", "chat.completion"},
               {"choices",
                {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", "Sure! Here."}}}, {"finish_reason", "stop"}},
                 {{"index", 1}, {"message", {{"role", "assistant"}, {"content", "No."}}}, {"finish_reason", "stop"}}}},
               {"usage", {{"prompt_tokens", 2}, {"completion_tokens", 3}, {"total_tokens", 5}}}};
  auto out = translator->TranslateBody(body.dump());
  ASSERT_TRUE(out.ok());
  json parsed = json::parse(*out);
  EXPECT_EQ(parsed["choices"][0]["message"]["content"], "Here.");
  EXPECT_EQ(parsed["choices"][1]["message"]["content"], "No.");
  EXPECT_EQ(translator->usage().completion_tokens, 3);
}

TEST(AppendPrefill, MistralPrefix) {
  json request = {{"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  AppendPrefill(request, "Sure", false);
  EXPECT_EQ(request["messages"].back(), (json{{"role", "assistant"}, {"content", "Sure"}}));
  AppendPrefill(request, "Sure", true);
  EXPECT_EQ(request["messages"].back(), (json{{"role", "assistant"}, {"content", "Sure"}, {"prefix", true}}));
}

}  // namespace
}  // namespace switchboard::providers
