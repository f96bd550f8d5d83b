// RequestBody (server/request_body.h) gives the parser's body exactly as
// Beast's string_body does, however the request arrives.

#include "dataplane/server/request_body.h"

#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

namespace switchboard::server {
namespace {

namespace http = boost::beast::http;

// Feeds `wire` to a fresh parser in pieces of `piece` bytes (as reads hand
// them over); returns the body, or the error's message.
template <class Body>
std::string Parse(std::string_view wire, size_t piece, uint64_t limit = 1 << 20) {
  http::request_parser<Body> parser;
  parser.eager(true);
  parser.body_limit(limit);
  std::string pending;
  boost::beast::error_code ec;
  for (size_t at = 0; at < wire.size() && !parser.is_done(); at += piece) {
    pending.append(wire.substr(at, piece));
    size_t used = parser.put(boost::asio::buffer(pending), ec);
    pending.erase(0, used);
    if (ec == http::error::need_more) continue;
    if (ec) return "error: " + ec.message();
  }
  if (!parser.is_done()) return "error: incomplete";
  return parser.get().body();
}

std::string Conversation(size_t bytes) {
  std::string body = R"({"model":"m","messages":[{"role":"user","content":")";
  while (body.size() < bytes) body += "*waves* the colour of the sea \\u00e9 ";
  body += R"("}]})";
  return body;
}

TEST(RequestBodyTest, ContentLengthBodiesMatchStringBodyInAnyPieces) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{100}, size_t{70000}}) {
    std::string body = size == 0 ? "" : Conversation(size);
    std::string wire = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body;
    for (size_t piece : {size_t{1}, size_t{7}, size_t{4096}, wire.size()}) {
      if (piece == 1 && size > 100) continue;  // a byte at a time through 70 kB: slow, nothing new
      EXPECT_EQ(Parse<RequestBody>(wire, piece), body) << "size " << size << ", pieces of " << piece;
      EXPECT_EQ(Parse<RequestBody>(wire, piece), Parse<http::string_body>(wire, piece));
    }
  }
}

TEST(RequestBodyTest, ChunkedBodiesMatchStringBody) {
  std::string wire = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n";
  for (size_t piece : {size_t{1}, size_t{3}, wire.size()}) {
    EXPECT_EQ(Parse<RequestBody>(wire, piece), "hello world!") << "pieces of " << piece;
    EXPECT_EQ(Parse<RequestBody>(wire, piece), Parse<http::string_body>(wire, piece));
  }
}

TEST(RequestBodyTest, TheParsersBodyLimitStillHolds) {
  std::string body(2000, 'x');
  std::string wire =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  EXPECT_EQ(Parse<RequestBody>(wire, 512, 1000), Parse<http::string_body>(wire, 512, 1000));
  EXPECT_NE(Parse<RequestBody>(wire, 512, 1000).rfind("error: ", 0), std::string::npos);
  std::string chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" + body + "\r\n0\r\n\r\n";
  EXPECT_EQ(Parse<RequestBody>(chunked, 512, 1000).rfind("error: ", 0), 0u);
  EXPECT_EQ(Parse<RequestBody>(chunked, 512, 1000), Parse<http::string_body>(chunked, 512, 1000));
}

}  // namespace
}  // namespace switchboard::server
