// The hand-written message heads must be what an HTTP parser reads back: the
// same status, fields and body framing.

#include "dataplane/upstream/http_head.h"

#include <string>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

namespace switchboard::upstream {
namespace {

namespace http = boost::beast::http;

TEST(HeadWriterTest, ResponseHeadIsExact) {
  HeadWriter head;
  head.StatusLine(200);
  head.Field("Content-Type", "application/json");
  head.ContentLength(12);
  EXPECT_EQ(head.End(), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n");
}

TEST(HeadWriterTest, RequestHeadIsExact) {
  HeadWriter head;
  head.RequestLine("POST", "/v1/chat/completions?x=1");
  head.Field("Host", "api.example.com:8443");
  head.ContentLength(0);
  EXPECT_EQ(head.End(), "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: api.example.com:8443\r\nContent-Length: 0\r\n\r\n");
}

TEST(HeadWriterTest, StatusLinesHaveTheirReasons) {
  for (auto [status, line] : std::vector<std::pair<int, std::string>>{
           {404, "HTTP/1.1 404 Not Found\r\n"},
           {429, "HTTP/1.1 429 Too Many Requests\r\n"},
           {502, "HTTP/1.1 502 Bad Gateway\r\n"},
           {504, "HTTP/1.1 504 Gateway Timeout\r\n"}}) {
    HeadWriter head;
    head.StatusLine(status);
    EXPECT_EQ(head.End(), line + "\r\n");
  }
}

TEST(HeadWriterTest, ALineBreakIsFoundWhereverItFalls) {
  // Names and values are checked eight bytes at a time, the last eight
  // overlapping the ones before, and byte by byte when shorter: a break at
  // every offset of every length up to a few words, in either.
  const std::string letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";
  for (const char* line_break : {"\r", "\n"}) {
    for (size_t length = 0; length <= letters.size(); ++length) {
      const std::string kept = letters.substr(0, length);
      for (size_t at = 0; at <= length; ++at) {
        std::string broken = kept;
        broken.insert(at, line_break);
        HeadWriter value_broken;
        value_broken.Field("x", broken);
        EXPECT_EQ(value_broken.End(), "x: " + kept + "\r\n\r\n") << "length " << length << " at " << at;
        HeadWriter name_broken;
        name_broken.Field("y" + broken, "v");
        EXPECT_EQ(name_broken.End(), "y" + kept + ": v\r\n\r\n") << "length " << length << " at " << at;
      }
      HeadWriter clean;
      clean.Field(kept, kept);
      EXPECT_EQ(clean.End(), kept + ": " + kept + "\r\n\r\n") << "length " << length;
    }
  }
  // An empty view with no data at all (what a missing field reads as).
  HeadWriter empty;
  empty.Field("x", std::string_view());
  EXPECT_EQ(empty.End(), "x: \r\n\r\n");
  // Bytes near the breaks are kept, on the fast way and on the slow one.
  for (const char* value : {"a\tb\x0c\x0e\x7f\xc3\xa9" "cdefghijklmn", "a\tb\x0e\x7f\xc3\xa9" "cdefghijklmn"}) {
    HeadWriter clean;
    clean.Field("x", value);
    EXPECT_EQ(clean.End(), std::string("x: ") + value + "\r\n\r\n");
  }
}

TEST(HeadWriterTest, LineBreaksInNamesAndValuesAreDropped) {
  HeadWriter head;
  head.StatusLine(200);
  head.Field("x-switchboard-warning", "one\r\nSet-Cookie: evil=1\ntwo\r");
  head.Field("x-\r\nname", "v");
  head.ContentLength(0);
  const std::string& text = head.End();
  EXPECT_EQ(text,
            "HTTP/1.1 200 OK\r\nx-switchboard-warning: oneSet-Cookie: evil=1two\r\nx-name: v\r\n"
            "Content-Length: 0\r\n\r\n");

  // A parser sees exactly the fields written, no injected one.
  http::response_parser<http::empty_body> parser;
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(text), ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(parser.is_header_done());
  const auto& res = parser.get();
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res["x-switchboard-warning"], "oneSet-Cookie: evil=1two");
  EXPECT_EQ(res.count(http::field::set_cookie), 0u);
}

TEST(HeadWriterTest, ATargetCannotBreakTheRequestLine) {
  HeadWriter head;
  head.RequestLine("POST", "/v1/chat completions\r\nX: y");
  head.ContentLength(0);
  EXPECT_EQ(head.End(), "POST /v1/chatcompletionsX:y HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
}

TEST(HeadWriterTest, ABeastParserReadsTheRequestBack) {
  HeadWriter head;
  head.RequestLine("POST", "/v1/chat/completions");
  head.Field("Host", "127.0.0.1:9");
  head.Field("Authorization", "Bearer sk-x");
  head.ContentLength(2);
  std::string text = head.End() + "{}";
  http::request_parser<http::string_body> parser;
  boost::beast::error_code ec;
  parser.eager(true);
  parser.put(boost::asio::buffer(text), ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(parser.is_done());
  const auto& req = parser.get();
  EXPECT_EQ(req.method(), http::verb::post);
  EXPECT_EQ(req.target(), "/v1/chat/completions");
  EXPECT_EQ(req.version(), 11);
  EXPECT_EQ(req[http::field::host], "127.0.0.1:9");
  EXPECT_EQ(req[http::field::authorization], "Bearer sk-x");
  EXPECT_EQ(req.body(), "{}");
  EXPECT_TRUE(req.keep_alive());
}

TEST(ChunkPrefixTest, SizesInHex) {
  char buffer[24];
  EXPECT_EQ(ChunkPrefix(1, buffer), "1\r\n");
  EXPECT_EQ(ChunkPrefix(15, buffer), "f\r\n");
  EXPECT_EQ(ChunkPrefix(4096, buffer), "1000\r\n");
  EXPECT_EQ(ChunkPrefix(0xffffffffffffffffull, buffer), "ffffffffffffffff\r\n");
}

TEST(ChunkPrefixTest, AChunkedBodyParsesBack) {
  HeadWriter head;
  head.StatusLine(200);
  head.Field("Transfer-Encoding", "chunked");
  std::string text = head.End();
  char buffer[24];
  for (const std::string& data : std::vector<std::string>{"data: {\"a\":1}\n\n", std::string(5000, 'x')}) {
    text += ChunkPrefix(data.size(), buffer);
    text += data;
    text += kChunkSuffix;
  }
  text += kLastChunk;
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(text), ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(parser.is_done());
  EXPECT_EQ(parser.get().body(), "data: {\"a\":1}\n\n" + std::string(5000, 'x'));
}

TEST(SameFieldNameTest, IgnoresAsciiCase) {
  EXPECT_TRUE(SameFieldName("Content-Type", "content-type"));
  EXPECT_TRUE(SameFieldName("X-A", "x-a"));
  EXPECT_FALSE(SameFieldName("Content-Type", "Content-Typo"));
  EXPECT_FALSE(SameFieldName("Host", "Hos"));
}

TEST(SameFieldNameTest, FoldsOnlyAsciiLetters) {
  // Every pair of bytes: only A-Z fold to a-z, as in Beast's comparison of
  // field names ('@' and '`', '[' and '{' differ by the same bit, and bytes
  // past 0x7F are never folded). (Beast's own iequals is no oracle here: in
  // 1.81 it reads one byte past the end when the last bytes differ.)
  auto fold = [](int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; };
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const char x[] = {'X', static_cast<char>(a)}, y[] = {'x', static_cast<char>(b)};
      ASSERT_EQ(SameFieldName(std::string_view(x, 2), std::string_view(y, 2)), fold(a) == fold(b)) << a << " " << b;
    }
  }
}

TEST(HasFieldTest, LooksFromAPositionOnIgnoringCase) {
  FieldList list = {{"Content-Type", "a"}, {"X-A", "1"}, {"x-a", "2"}};
  EXPECT_TRUE(HasField(list, "content-type"));
  EXPECT_FALSE(HasField(list, "content-type", 1));
  EXPECT_TRUE(HasField(list, "X-A", 2));
  EXPECT_FALSE(HasField(list, "X-A", 3));
  EXPECT_FALSE(HasField({}, "Host"));
}

}  // namespace
}  // namespace switchboard::upstream
