// RequestParser must read every request as Beast's request_parser with a
// string body reads it (the same error, bytes taken, method, target, version,
// framing, keep-alive, field values and body), whichever way the bytes are
// split: its own reader takes the heads it vouches for and leaves the rest to
// Beast, and Beast frames the body either way.

#include "dataplane/server/request_parser.h"

#include <random>
#include <string>
#include <vector>

#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "tests/dataplane/core/head_reading.h"

namespace switchboard::server {
namespace {

namespace http = boost::beast::http;
using head_test::FeedHead;
using head_test::HeadReading;
using head_test::StepEnds;

constexpr uint32_t kHeadLimit = 2048;
constexpr uint64_t kBodyLimit = 100 * 1024;

const std::vector<std::string> kNames = {"Origin", "authorization", "X-API-KEY", "Expect",
                                         "Access-Control-Request-Headers", "Content-Type", "Content-Length",
                                         "Connection", "Transfer-Encoding", "X-Obs-Text", "X-Tab", "Absent", ""};

template <class Field>
void Describe(HeadReading& r, std::string start, Field field) {
  if (!r.header_done) return;
  r.start = std::move(start);
  for (const auto& name : kNames) r.values.emplace_back(field(name));
}

// Fed in pieces of `step` bytes (0: at once), as the server feeds its buffer
// (server.cc's ParseBuffered and ReadRequest). `own` (when given) is set when
// our reader read the head, not Beast.
HeadReading Ours(std::string_view text, size_t step, bool* own = nullptr, uint64_t body_limit = kBodyLimit) {
  RequestParser parser;
  parser.header_limit(kHeadLimit);
  parser.body_limit(body_limit);
  parser.eager(true);
  HeadReading r = FeedHead(parser, text, StepEnds(text.size(), step), true);
  Describe(r,
           std::string(parser.method_string()) + " " + std::string(parser.target()) + " " +
               std::to_string(parser.version()) + " " + std::to_string(static_cast<int>(parser.method())),
           [&](const std::string& name) { return parser.field(name); });
  if (r.done) r.body = parser.body();
  if (own != nullptr) *own = parser.read_by_own_reader();
  return r;
}

HeadReading Beasts(std::string_view text, size_t step, uint64_t body_limit = kBodyLimit) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(kHeadLimit);
  parser.body_limit(body_limit);
  parser.eager(true);
  HeadReading r = FeedHead(parser, text, StepEnds(text.size(), step), true);
  const auto& m = parser.get();
  Describe(r,
           std::string(m.method_string()) + " " + std::string(m.target()) + " " + std::to_string(m.version()) +
               " " + std::to_string(static_cast<int>(m.method())),
           [&](const std::string& name) {
             auto it = m.find(name);
             return it == m.end() ? std::string_view() : std::string_view(it->value());
           });
  if (r.done) r.body = m.body();
  return r;
}

const std::string kChatBody = R"({"model":"m","messages":[{"role":"user","content":"Hi!"}],"stream":true})";

std::string Post(const std::string& fields, const std::string& body = kChatBody) {
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n" + fields +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A browser's request (JanitorAI in Chrome) and others the server gets: the
// usual clients', the framings, and broken ones.
const std::vector<std::string> kRequests = {
    Post("Content-Type: application/json\r\nAuthorization: Bearer sk-client\r\n"),
    Post("Accept: application/json, text/event-stream\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"
         "Accept-Language: en-US,en;q=0.9\r\nAuthorization: Bearer sk-client\r\nContent-Type: application/json\r\n"
         "Origin: https://janitorai.com\r\nReferer: https://janitorai.com/\r\n"
         "Sec-Ch-Ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\nSec-Ch-Ua-Mobile: ?0\r\n"
         "Sec-Fetch-Dest: empty\r\nSec-Fetch-Mode: cors\r\nSec-Fetch-Site: cross-site\r\n"
         "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)\r\n"),
    "GET /v1/models HTTP/1.1\r\nHost: x\r\nx-api-key: sk-client\r\n\r\n",
    "OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: x\r\nOrigin: https://janitorai.com\r\n"
    "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization,content-type\r\n\r\n",
    Post("Expect: 100-continue\r\n", std::string(3000, 'x')),
    "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n",
    "POST /v1/chat/completions HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}",
    "POST /v1/chat/completions HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}",
    "POST /v1/chat/completions HTTP/1.1\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
    // Two requests in one read: only the first is taken.
    "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n",
    "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}GET / HTTP/1.1\r\n\r\n",
    "GET /v1/models?x=%20caf\xc3\xa9 HTTP/1.1\r\nX-Obs-Text: caf\xc3\xa9\r\nX-Tab:\tin\tside\t\r\n\r\n",
    "GET * HTTP/1.1\r\n\r\n",
    "M-SEARCH * HTTP/1.1\r\n\r\n",
    "BREW /pot HTTP/1.1\r\n\r\n",
    "get /v1/models HTTP/1.1\r\n\r\n",
    "GET /v1/models http/1.1\r\n\r\n",
    "GET /v1/models HTTP/1.2\r\n\r\n",
    "GET /v1/models HTTP/2.0\r\n\r\n",
    "GET /v1/models HTTP/0.9\r\n\r\n",
    "GET /v1/models HTTP/1.1 \r\n\r\n",
    "GET  /v1/models HTTP/1.1\r\n\r\n",
    "GET /v1\tmodels HTTP/1.1\r\n\r\n",
    "GET\t/v1/models HTTP/1.1\r\n\r\n",
    "G(T /v1/models HTTP/1.1\r\n\r\n",
    " GET /v1/models HTTP/1.1\r\n\r\n",
    "\r\nGET /v1/models HTTP/1.1\r\n\r\n",
    "GET /v1/models\r\n\r\n",
    "GET /v1/models HTTP/1.1\nHost: x\n\n",
    "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Folded: one\r\n two\r\n\r\n",
    "GET /v1/models HTTP/1.1\r\nBad Name: x\r\n\r\n",
    "GET /v1/models HTTP/1.1\r\n: no name\r\n\r\n",
    "GET /v1/models HTTP/1.1\r\nNo-Colon\r\n\r\n",
    "GET /v1/models HTTP/1.1\r\nX-Bare-CR: a\rb\r\n\r\n",
    "GET /v1/models HTTP/1.1\r\nX-Control: a\x01z\r\n\r\n",
    "GET /v1/models HTTP/1.1\r\nOrigin: a\r\nOrigin: b\r\nAuthorization:   Bearer  x  \r\n\r\n",
    "GET /v1/models HTTP/1.1\r\nX-Empty:\r\nAuthorization:\r\n\r\n",
    "POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    "POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\n{}",
    "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n{}",
    "POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n{}",
    "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "POST / HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n{}",  // past the body limit
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1ffff\r\n",  // a chunk past the body limit
    "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    "GET /v1/models HTTP/1.1\r\nProxy-Connection: close\r\n\r\n",
    "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}",  // the body cut short
    "GET /v1/models HTTP/1.1\r\nHost: x",
    "GET /v1/mod",
    "GET /v1/models HTTP/1.1\r",
    "GET /v1/models HTTP/1.1\r\nX: y\r\n\r",
    "GET /v1/models HTTP/1.1\r\nContent-Length: 1x\r\nX-After: 1\r\n",  // refused before the head ends
    "GET /" + std::string(1500, 'a') + " HTTP/1.1\r\n\r\n",  // past half the head limit
    "GET / HTTP/1.1\r\nX-Long: " + std::string(3000, 'v') + "\r\n\r\n",  // past the head limit
    "",
};

TEST(RequestParserTest, ReadsEveryRequestAsBeastsParserDoes) {
  for (const auto& request : kRequests) {
    for (size_t step : {size_t{0}, size_t{1}, size_t{7}, size_t{64}}) {
      EXPECT_EQ(Ours(request, step), Beasts(request, step))
          << "request " << ::testing::PrintToString(request) << " in pieces of " << step;
    }
  }
}

// A request that ends early, wherever it ends (the client closed, or the head
// never came whole): the same error, at the same point. Beast reads a start
// line or a framing field as soon as it is whole and refuses it at once,
// before the rest of the head.
TEST(RequestParserTest, EveryStartOfARequestEndsAsBeastsDoes) {
  for (const auto& request : kRequests) {
    for (size_t size = 1; size < request.size() && size < 400; ++size) {
      const std::string_view start = std::string_view(request).substr(0, size);
      ASSERT_EQ(Ours(start, 0), Beasts(start, 0)) << "request " << ::testing::PrintToString(std::string(start));
      ASSERT_EQ(Ours(start, 9), Beasts(start, 9)) << "request " << ::testing::PrintToString(std::string(start))
                                                  << " in pieces of 9";
    }
  }
}

TEST(RequestParserTest, OurReaderReadsTheUsualRequestsAndLeavesTheRestToBeast) {
  auto own = [](std::string_view request, size_t step) {
    bool by_us = false;
    Ours(request, step, &by_us);
    return by_us;
  };
  for (size_t step : {size_t{0}, size_t{100}}) {
    for (int i : {0, 1, 2, 3, 4, 5, 6}) EXPECT_TRUE(own(kRequests[i], step)) << i << " in pieces of " << step;
  }
  EXPECT_FALSE(own("GET /v1/models HTTP/1.1\r\nX-Folded: one\r\n two\r\n\r\n", 0));  // obs-fold
  EXPECT_FALSE(own("GET /v1/models HTTP/1.1\nHost: x\n\n", 0));
  EXPECT_FALSE(own("GET /v1/models HTTP/1.1\r\nX-Control: a\x01z\r\n\r\n", 0));
  EXPECT_FALSE(own("BREW /pot HTTP/1.2\r\n\r\n", 0));
  EXPECT_FALSE(own("GET /" + std::string(1500, 'a') + " HTTP/1.1\r\n\r\n", 0));  // past half the limit
  // A head that comes in many parts (a slow client's) is Beast's: our reader
  // would keep the size of every part to hand them over.
  EXPECT_FALSE(own(kRequests[0], 1));
  EXPECT_TRUE(own(kRequests[0], 40));
}

TEST(RequestParserTest, TheFieldsTheServerReads) {
  RequestParser parser;
  parser.header_limit(kHeadLimit);
  parser.body_limit(kBodyLimit);
  parser.eager(true);
  HeadReading r = FeedHead(parser, kRequests[1], StepEnds(kRequests[1].size(), 0), true);
  ASSERT_FALSE(r.error) << r.error.message();
  ASSERT_TRUE(parser.read_by_own_reader());
  EXPECT_EQ(parser.method(), http::verb::post);
  EXPECT_EQ(parser.method_string(), "POST");
  EXPECT_EQ(parser.target(), "/v1/chat/completions");
  EXPECT_EQ(parser.version(), 11);
  EXPECT_TRUE(parser.keep_alive());
  EXPECT_EQ(parser.field("origin"), "https://janitorai.com");
  EXPECT_EQ(parser.field("Authorization"), "Bearer sk-client");
  EXPECT_EQ(parser.field("X-API-Key"), "");
  EXPECT_EQ(parser.body(), kChatBody);
}

// Random edits of real requests (bytes put in, taken out or changed, drawn
// mostly from what a request's grammar turns on) read by both, at once and in
// pieces.
TEST(RequestParserTest, RandomEditsAreReadAsBeastReadsThem) {
  constexpr std::string_view kAlphabet = "\r\n\t :;,\"azAZ09-_/.()@*?%\x7f\x80\xff";
  std::mt19937 rng(20261129);
  const std::vector<std::string> bases = {kRequests[0], kRequests[1], kRequests[2], kRequests[3], kRequests[5],
                                          kRequests[7]};
  int whole_by_us = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string request = bases[rng() % bases.size()];
    head_test::EditRandomly(request, rng, kAlphabet);
    // A third of them cut short.
    if (rng() % 3 == 0 && !request.empty()) request.resize(rng() % request.size());
    const size_t step = round % 2 == 0 ? 0 : 1 + rng() % 80;
    bool by_us = false;
    const HeadReading ours = Ours(request, step, &by_us);
    ASSERT_EQ(ours, Beasts(request, step)) << "request " << ::testing::PrintToString(request) << " in pieces of "
                                           << step;
    if (by_us) ++whole_by_us;
  }
  // Many edits left requests our reader takes: the comparison covered both.
  EXPECT_GT(whole_by_us, 2000);
}

std::string Conversation(size_t bytes) {
  std::string body = R"({"model":"m","messages":[{"role":"user","content":")";
  while (body.size() < bytes) body += "*waves* the colour of the sea \\u00e9 ";
  body += R"("}]})";
  return body;
}

TEST(RequestParserTest, BodiesOfEverySizeComeWholeInAnyPieces) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{100}, size_t{70000}}) {
    const std::string body = size == 0 ? "" : Conversation(size);
    const std::string wire = Post("", body);
    for (size_t step : {size_t{1}, size_t{7}, size_t{4096}, size_t{0}}) {
      if (step == 1 && size > 100) continue;  // a byte at a time through 70 kB: slow, nothing new
      const HeadReading ours = Ours(wire, step);
      EXPECT_FALSE(ours.error) << ours.error.message();
      EXPECT_EQ(ours.body, body) << "size " << size << ", pieces of " << step;
      EXPECT_EQ(ours, Beasts(wire, step)) << "size " << size << ", pieces of " << step;
    }
  }
}

TEST(RequestParserTest, TheBodyLimitHolds) {
  const std::string body(2000, 'x');
  const std::string wire = Post("", body);
  const std::string chunked =
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" + body + "\r\n0\r\n\r\n";
  for (const auto& request : {wire, chunked}) {
    for (size_t step : {size_t{0}, size_t{512}}) {
      const HeadReading ours = Ours(request, step, nullptr, 1000);
      EXPECT_EQ(ours.error, http::error::body_limit) << ours.error.message();
      EXPECT_EQ(ours, Beasts(request, step, 1000));
    }
  }
}

}  // namespace
}  // namespace switchboard::server
