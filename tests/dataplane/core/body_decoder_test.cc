// BodyDecoder: response bodies framed by Content-Length, chunked coding or the
// connection's end, fed whole and in every split, as reads deliver them.

#include "dataplane/upstream/body_decoder.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace switchboard::upstream {
namespace {

struct Result {
  std::string body;
  size_t consumed = 0;
  bool done = false;
  bool failed = false;
};

// Feeds `wire` in pieces of at most `piece` bytes (0: whole), as reads would;
// stops feeding once the decoder is done or failed.
Result Feed(BodyDecoder decoder, const std::string& wire, size_t piece = 0) {
  Result r;
  size_t at = 0;
  while (at < wire.size() && !decoder.done() && !decoder.failed()) {
    size_t n = piece == 0 ? wire.size() - at : std::min(piece, wire.size() - at);
    size_t used = decoder.Decode(std::string_view(wire).substr(at, n), r.body);
    r.consumed += used;
    at += used;
    if (used < n) break;  // the body ended (or broke) inside this piece
  }
  r.done = decoder.done();
  r.failed = decoder.failed();
  return r;
}

// Every way of splitting `wire` into two reads, and one byte at a time, gives
// the same result as one read.
void ExpectSameInEverySplit(BodyDecoder (*make)(), const std::string& wire) {
  Result whole = Feed(make(), wire);
  for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{7}}) {
    Result split = Feed(make(), wire, piece);
    EXPECT_EQ(split.body, whole.body) << "pieces of " << piece;
    EXPECT_EQ(split.consumed, whole.consumed) << "pieces of " << piece;
    EXPECT_EQ(split.done, whole.done) << "pieces of " << piece;
    EXPECT_EQ(split.failed, whole.failed) << "pieces of " << piece;
  }
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    BodyDecoder decoder = make();
    Result r;
    size_t first = decoder.Decode(std::string_view(wire).substr(0, cut), r.body);
    size_t second = first == cut && !decoder.done() && !decoder.failed()
                        ? decoder.Decode(std::string_view(wire).substr(cut), r.body)
                        : 0;
    EXPECT_EQ(r.body, whole.body) << "cut at " << cut;
    EXPECT_EQ(first + second, whole.consumed) << "cut at " << cut;
    EXPECT_EQ(decoder.done(), whole.done) << "cut at " << cut;
    EXPECT_EQ(decoder.failed(), whole.failed) << "cut at " << cut;
  }
}

TEST(BodyDecoderTest, ChunkedBodyWithExtensionsAndTrailersLeavesTheNextResponse) {
  const std::string wire =
      "5\r\nhello\r\n6;name=value\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\nY: u\r\n\r\nHTTP/1.1 200 OK\r\n";
  Result r = Feed(BodyDecoder::Chunked(), wire);
  EXPECT_EQ(r.body, "hello world0123456789");
  EXPECT_TRUE(r.done);
  EXPECT_FALSE(r.failed);
  EXPECT_EQ(wire.substr(r.consumed), "HTTP/1.1 200 OK\r\n");
  ExpectSameInEverySplit(&BodyDecoder::Chunked, wire);
}

TEST(BodyDecoderTest, ChunkedEventsArriveAsTheyCome) {
  BodyDecoder decoder = BodyDecoder::Chunked();
  std::string body;
  EXPECT_EQ(decoder.Decode("f\r\ndata: {\"a\":1}\n\n\r\n", body), 20u);
  EXPECT_EQ(body, "data: {\"a\":1}\n\n");
  EXPECT_FALSE(decoder.done());
  body.clear();
  EXPECT_EQ(decoder.Decode("e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n", body), 24u);
  EXPECT_EQ(body, "data: [DONE]\n\n");
  EXPECT_TRUE(decoder.done());
}

TEST(BodyDecoderTest, BrokenChunkedFramingFails) {
  const std::vector<std::string> broken = {
      "zz\r\n",                    // not hex
      ";ext\r\n",                  // no size at all
      "5\nhello\r\n",              // bare LF after the size
      "5\r\nhelloXY",              // no CRLF after the data
      "1000000000000000\r\n",      // 16 hex digits
      "0\r\nTrailer: x\nmore",     // bare LF after a trailer
      "0\r\n\rX",                  // CR without LF at the end
  };
  for (const std::string& wire : broken) {
    Result r = Feed(BodyDecoder::Chunked(), wire);
    EXPECT_TRUE(r.failed) << wire;
    EXPECT_FALSE(r.done) << wire;
  }
  BodyDecoder decoder = BodyDecoder::Chunked();
  std::string body;
  decoder.Decode("zz", body);
  EXPECT_EQ(decoder.error(), "chunk size expected");
}

TEST(BodyDecoderTest, TrailersAreBounded) {
  Result r = Feed(BodyDecoder::Chunked(), "0\r\nX: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_TRUE(r.failed);
}

TEST(BodyDecoderTest, ContentLengthStopsAtTheLength) {
  const std::string wire = "{\"ok\":true}NEXT";
  Result r = Feed(BodyDecoder::Length(11), wire);
  EXPECT_EQ(r.body, "{\"ok\":true}");
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.consumed, 11u);
  ExpectSameInEverySplit([] { return BodyDecoder::Length(11); }, wire);

  BodyDecoder empty = BodyDecoder::Length(0);
  EXPECT_TRUE(empty.done());
  std::string body;
  EXPECT_EQ(empty.Decode("x", body), 0u);
  EXPECT_EQ(body, "");
}

TEST(BodyDecoderTest, UntilCloseTakesEverythingAndEndsOnlyWithTheConnection) {
  const std::string wire = "anything\r\n0\r\n\r\nat all";
  Result r = Feed(BodyDecoder::UntilClose(), wire, 4);
  EXPECT_EQ(r.body, wire);
  EXPECT_EQ(r.consumed, wire.size());
  EXPECT_FALSE(r.done);
  EXPECT_TRUE(BodyDecoder::UntilClose().until_close());
  EXPECT_FALSE(BodyDecoder::Chunked().until_close());
}

}  // namespace
}  // namespace switchboard::upstream
