#include "dataplane/providers/sse.h"

#include <gtest/gtest.h>

namespace switchboard::providers {
namespace {

std::vector<SseEvent> FeedAll(const std::vector<std::string>& pieces) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (const auto& piece : pieces) EXPECT_TRUE(parser.Feed(piece, events));
  parser.Flush(events);
  return events;
}

std::vector<std::string> Data(const std::vector<SseEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.data);
  return out;
}

TEST(SseParser, SplitsEventsOnBlankLines) {
  auto events = FeedAll({"data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n"});
  EXPECT_EQ(Data(events), (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "[DONE]"}));
}

TEST(SseParser, EveryByteSplitGivesTheSameEvents) {
  std::string text = "data: {\"x\":\"héllo\"}\r\n\r\n: keep-alive\r\n\r\nevent: message\ndata: two\ndata: lines\n\n";
  auto whole = Data(FeedAll({text}));
  ASSERT_EQ(whole, (std::vector<std::string>{"{\"x\":\"héllo\"}", "two\nlines"}));
  for (size_t cut = 1; cut < text.size(); ++cut) {
    EXPECT_EQ(Data(FeedAll({text.substr(0, cut), text.substr(cut)})), whole) << "cut at " << cut;
  }
  std::vector<std::string> bytes;
  for (char c : text) bytes.emplace_back(1, c);
  EXPECT_EQ(Data(FeedAll(bytes)), whole);
}

TEST(SseParser, CountsCommentsAndReadsEventField) {
  SseParser parser;
  std::vector<SseEvent> events;
  parser.Feed(": OPENROUTER PROCESSING\n\nevent: error\ndata: {}\n\n", events);
  EXPECT_EQ(parser.comments(), 1u);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "error");
}

TEST(SseParser, DataWithoutSpaceAndBareCarriageReturns) {
  EXPECT_EQ(Data(FeedAll({"data:x\r\rdata:y\r\r"})), (std::vector<std::string>{"x", "y"}));
}

TEST(SseParser, UnterminatedEventIsFlushedAtEnd) {
  EXPECT_EQ(Data(FeedAll({"data: last"})), (std::vector<std::string>{"last"}));
}

TEST(SseParser, OversizedEventFails) {
  SseParser parser(16);
  std::vector<SseEvent> events;
  EXPECT_FALSE(parser.Feed("data: 0123456789012345678901234567890\n", events));
  EXPECT_TRUE(parser.failed());
  EXPECT_FALSE(parser.Feed("\n", events));
}

TEST(AppendSseData, SplitsMultilinePayloads) {
  std::string out;
  AppendSseData(out, "a\nb");
  EXPECT_EQ(out, "data: a\ndata: b\n\n");
}

}  // namespace
}  // namespace switchboard::providers
