#include "dataplane/providers/sse.h"

#include <gtest/gtest.h>

namespace switchboard::providers {
namespace {

// An event as the test keeps it: copied, since the parser's views last only
// for the call.
struct Event {
  std::string event;
  std::string data;
};

struct Collect {
  std::vector<Event>* events;
  void operator()(const SseEvent& e) const { events->push_back({std::string(e.event), std::string(e.data)}); }
};

std::vector<Event> FeedAll(const std::vector<std::string>& pieces) {
  SseParser parser;
  std::vector<Event> events;
  for (const auto& piece : pieces) {
    // Each piece from its own buffer, overwritten after the Feed: an event
    // that outlives the Feed must not be a view of it.
    std::string buffer = piece;
    EXPECT_TRUE(parser.Feed(buffer, Collect{&events}));
    buffer.assign(buffer.size(), '#');
  }
  parser.Flush(Collect{&events});
  return events;
}

std::vector<std::string> Data(const std::vector<Event>& events) {
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

TEST(SseParser, AnEventThatCameWholeIsNotCopied) {
  const std::string bytes = "data: {\"a\":1}\n\ndata: one\ndata: two\n\ndata: {\"cut";
  SseParser parser;
  std::vector<bool> in_bytes;
  parser.Feed(bytes, [&](const SseEvent& e) {
    in_bytes.push_back(e.data.data() >= bytes.data() && e.data.data() + e.data.size() <= bytes.data() + bytes.size());
  });
  // The first is a view of the bytes fed; the joined one is the parser's own.
  EXPECT_EQ(in_bytes, (std::vector<bool>{true, false}));
  std::vector<Event> rest;
  parser.Feed("\"}\n\n", Collect{&rest});
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].data, "{\"cut\"}");
}

TEST(SseParser, CountsCommentsAndReadsEventField) {
  SseParser parser;
  std::vector<Event> events;
  parser.Feed(": OPENROUTER PROCESSING\n\nevent: error\ndata: {}\n\n", Collect{&events});
  EXPECT_EQ(parser.comments(), 1u);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "error");
}

TEST(SseParser, DataWithoutSpaceAndBareCarriageReturns) {
  EXPECT_EQ(Data(FeedAll({"data:x\r\rdata:y\r\r"})), (std::vector<std::string>{"x", "y"}));
}

TEST(SseParser, ADataFieldWithoutValueIsAnEmptyEventNotANullView) {
  // Found by the sse_translators fuzz target: a null view reached simdjson's
  // memcpy through the Gemini translator.
  for (std::string text : {"data\n\n", "data:\n\n", "data\n", "data"}) {
    SseParser parser;
    std::vector<std::string> data;
    auto check = [&](const SseEvent& e) {
      EXPECT_NE(e.data.data(), nullptr) << text;
      data.emplace_back(e.data);
    };
    parser.Feed(text, check);
    parser.Flush(check);
    EXPECT_EQ(data, std::vector<std::string>{""}) << text;
  }
}

TEST(SseParser, UnterminatedEventIsFlushedAtEnd) {
  EXPECT_EQ(Data(FeedAll({"data: last"})), (std::vector<std::string>{"last"}));
}

TEST(SseParser, OversizedEventFails) {
  SseParser parser(16);
  std::vector<Event> events;
  EXPECT_FALSE(parser.Feed("data: 0123456789012345678901234567890\n", Collect{&events}));
  EXPECT_TRUE(parser.failed());
  EXPECT_FALSE(parser.Feed("\n", Collect{&events}));
  EXPECT_TRUE(events.empty());
  // Nor is an oversized event handed over when its end came in the same read.
  SseParser whole(16);
  EXPECT_FALSE(whole.Feed("data: 0123456789012345678901234567890\n\n", Collect{&events}));
  EXPECT_TRUE(events.empty());
}

TEST(AppendSseData, SplitsMultilinePayloads) {
  std::string out;
  AppendSseData(out, "a\nb");
  EXPECT_EQ(out, "data: a\ndata: b\n\n");
}

}  // namespace
}  // namespace switchboard::providers
