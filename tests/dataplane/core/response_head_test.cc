// ResponseHeadParser must read every head as Beast's response_parser reads it
// (the same error, bytes taken, status, framing, keep-alive and field values),
// whichever way the bytes are split: its own reader takes what it vouches for
// and leaves the rest to Beast.

#include "dataplane/upstream/response_head.h"

#include <optional>
#include <random>
#include <string>
#include <vector>

#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "tests/dataplane/core/head_reading.h"

namespace switchboard::upstream {
namespace {

namespace http = boost::beast::http;

using head_test::FeedHead;
using head_test::HeadReading;
using head_test::StepEnds;

// The status and the values of `names`, once the head is done.
template <class Status, class Field>
void Describe(HeadReading& r, const std::vector<std::string>& names, Status status, Field field) {
  if (!r.header_done) return;
  r.start = std::to_string(status());
  for (const auto& name : names) r.values.emplace_back(field(name));
}

// Fed in pieces of `step` bytes (0: at once), as the upstream client feeds
// its buffer. `own` (when given) is set when our reader read the head, not
// Beast.
HeadReading Ours(std::string_view text, size_t step, const std::vector<std::string>& names, bool* own = nullptr) {
  ResponseHeadParser parser;
  parser.header_limit(1024);
  HeadReading r = FeedHead(parser, text, StepEnds(text.size(), step), false);
  Describe(r, names, [&] { return parser.status(); }, [&](const std::string& name) { return parser.field(name); });
  if (own != nullptr) *own = parser.read_by_own_reader();
  return r;
}

HeadReading Beasts(std::string_view text, size_t step, const std::vector<std::string>& names) {
  http::response_parser<http::empty_body> parser;
  parser.header_limit(1024);
  parser.eager(false);
  parser.body_limit(boost::none);
  HeadReading r = FeedHead(parser, text, StepEnds(text.size(), step), false);
  Describe(r, names, [&] { return parser.get().result_int(); },
           [&](const std::string& name) {
             auto it = parser.get().find(name);
             return it == parser.get().end() ? std::string_view() : std::string_view(it->value());
           });
  return r;
}

const std::vector<std::string> kNames = {"Content-Type", "content-type", "RETRY-AFTER", "Set-Cookie",
                                         "Content-Length", "transfer-encoding", "Connection", "Upgrade",
                                         "X-Obs-Text", "X-Tab", "X-Bare-CR",
                                         "x-ratelimit-remaining-tokens", "X-Empty", "Absent", ""};

// Heads the client may get: a hosted API's, error answers, the framings, and
// broken ones.
const std::vector<std::string> kHeads = {
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"partial\":",
    "HTTP/1.1 200 OK\r\ndate: Sun, 29 Nov 2026 12:00:00 GMT\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
    "transfer-encoding: chunked\r\nconnection: keep-alive\r\nopenai-processing-ms: 412\r\n"
    "x-ratelimit-limit-tokens: 2000000\r\nx-ratelimit-remaining-tokens: 1999620\r\n"
    "set-cookie: __cf_bm=abc; path=/; HttpOnly\r\nset-cookie: _cfuvid=def; path=/\r\n"
    "x-request-id: req_0123456789abcdef\r\ncf-ray: 8f0a1b2c3d4e5f60-FRA\r\nalt-svc: h3=\":443\"; ma=86400\r\n\r\n"
    "5\r\nhello\r\n",
    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    "HTTP/1.1 503 Service Unavailable\r\nretry-after:   30  \r\nConnection: close\r\n\r\n",
    "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\nbody until close",
    "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 204 No Content\r\nX-Empty:\r\n\r\n",
    "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",  // past Beast's default body limit
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
    "HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 2\r\n\r\n{}",
    "HTTP/1.1 200 OK\r\nX-Obs-Text: caf\xc3\xa9\r\nX-Tab:\tin\tside\t\r\n\r\n",
    "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200\r\n\r\n",
    "HTTP/1.1 200 OK\r\n: no name\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-Bare-CR: a\rb\r\n\r\n",
    // Framing fields Beast refuses as soon as it reads them, in a head that
    // ends early (found by the response_head fuzz target).
    "HTTP/1.0 200 OK\r\nConnection: ke\xca" "ep`alive\r\nX-Folded: 0\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\nX-After: 1\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\nX",
    // A name a CR ends, and a status line without its reason, in a head that
    // ends early: Beast refuses them before the LF (found by the fuzz target).
    "HTTP/1.1 200 OK\r\ndate: S\r\n5\r",
    "HTTP/1.1 200\r",
    "HTTP/1.1 200 OK\r\nX: y\r\n\r",
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-Folded: one\r\n two\r\n\r\n",
    "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
    "HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n",
    "HTTP/1.1 2000 OK\r\n\r\n",
    "HTTP/2 200\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "HTTP/1.1 200 OK\nContent-Length: 1\n\nx",
    "HTTP/1.1 200 OK\r\nContent-Length: 1",
    "HTTP/1.1 200 OK\r\nX-Long: " + std::string(2000, 'v') + "\r\n\r\n",
    "",
};

TEST(ResponseHeadParserTest, ReadsEveryHeadAsBeastsParserDoes) {
  for (const auto& head : kHeads) {
    for (size_t step : {size_t{0}, size_t{1}, size_t{7}, size_t{64}}) {
      EXPECT_EQ(Ours(head, step, kNames), Beasts(head, step, kNames))
          << "head " << ::testing::PrintToString(head) << " in pieces of " << step;
    }
  }
}

TEST(ResponseHeadParserTest, OurReaderReadsTheUsualHeadsAndLeavesTheRestToBeast) {
  auto own = [](std::string_view head, size_t step) {
    bool by_us = false;
    Ours(head, step, kNames, &by_us);
    return by_us;
  };
  for (size_t step : {size_t{0}, size_t{100}}) {
    EXPECT_TRUE(own(kHeads[0], step)) << step;  // Content-Length
    EXPECT_TRUE(own(kHeads[1], step)) << step;  // a hosted API's, chunked
    EXPECT_TRUE(own(kHeads[2], step)) << step;  // 429 with Retry-After
    EXPECT_TRUE(own(kHeads[4], step)) << step;  // HTTP/1.0, body until close
  }
  EXPECT_FALSE(own("HTTP/1.1 200 OK\r\nX-Folded: one\r\n two\r\n\r\n", 0));  // obs-fold
  EXPECT_FALSE(own("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", 0));
  EXPECT_FALSE(own("HTTP/2 200\r\n\r\n", 0));
  EXPECT_FALSE(own("HTTP/1.1 200 OK\nContent-Length: 1\n\nx", 0));
  EXPECT_FALSE(own("HTTP/1.1 200 OK\r\nX-Control: a\x01b\r\n\r\n", 0));
  EXPECT_FALSE(own("HTTP/1.1 200 OK\r\nX-Long: " + std::string(2000, 'v') + "\r\n\r\n", 0));  // past half the limit
  // A head that comes in many parts is Beast's: our reader would keep the
  // size of every part to hand them over.
  EXPECT_FALSE(own(kHeads[1], 1));
  EXPECT_TRUE(own(kHeads[1], 40));
}

// Random edits of real heads (bytes put in, taken out or changed, drawn
// mostly from what a head's grammar turns on) read by both, at once and in
// pieces.
TEST(ResponseHeadParserTest, RandomEditsAreReadAsBeastReadsThem) {
  constexpr std::string_view kAlphabet = "\r\n\t :;,\"azAZ09-_/.()@\x7f\x80\xff";
  std::mt19937 rng(20261129);
  const std::vector<std::string> bases = {kHeads[0], kHeads[1], kHeads[2], kHeads[3], kHeads[6]};
  int whole_by_us = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string head = bases[rng() % bases.size()];
    head_test::EditRandomly(head, rng, kAlphabet);
    const size_t step = round % 2 == 0 ? 0 : 1 + rng() % 40;
    bool by_us = false;
    const HeadReading ours = Ours(head, step, kNames, &by_us);
    ASSERT_EQ(ours, Beasts(head, step, kNames)) << "head " << ::testing::PrintToString(head) << " in pieces of "
                                                << step;
    if (by_us) ++whole_by_us;
  }
  // Many edits left heads our reader takes: the comparison covered both.
  EXPECT_GT(whole_by_us, 2000);
}

TEST(ResponseHeadParserTest, AHostedApisHeadReadsItsTwoFields) {
  const HeadReading r = Ours(kHeads[1], 0, {"Content-Type", "Retry-After"});
  EXPECT_TRUE(r.header_done);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.start, "200");
  EXPECT_TRUE(r.chunked);
  // Not eager: the body's first chunk stays for the body decoder.
  EXPECT_EQ(kHeads[1].substr(r.consumed), "5\r\nhello\r\n");
  EXPECT_EQ(r.values, (std::vector<std::string>{"text/event-stream; charset=utf-8", ""}));
}

TEST(ResponseHeadParserTest, ManyFieldsSpillPastTheInlineRoom) {
  std::string head = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 100; ++i) head += "X-Field-" + std::to_string(i) + ": value " + std::to_string(i) + "\r\n";
  head += "\r\n";
  ResponseHeadParser parser;
  parser.header_limit(8192);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(head), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(parser.field("x-field-0"), "value 0");
  EXPECT_EQ(parser.field("X-FIELD-99"), "value 99");
  EXPECT_EQ(parser.field("X-Field-100"), "");
}

}  // namespace
}  // namespace switchboard::upstream
