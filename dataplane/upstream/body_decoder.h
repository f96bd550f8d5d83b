#pragma once
// An HTTP/1.1 response body's framing undone: bytes as they come off the
// connection in, the body's bytes out. For the upstream client's body reads
// once Beast's parser has read the head: an event stream is read an event at a
// time, and Beast's parser and its composed read operation cost more per event
// than the rest of relaying it.
//
// Framings (RFC 9112, 6.3): a Content-Length, chunked transfer coding, or the
// body running until the server closes. Chunked: sizes in hex, chunk
// extensions skipped, trailer fields read and dropped, CRLF line ends required
// (as Beast's parser requires them). Pure; one decoder per response.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace switchboard::upstream {

class BodyDecoder {
 public:
  static BodyDecoder Length(uint64_t length) { return BodyDecoder(Framing::kLength, length); }
  static BodyDecoder Chunked() { return BodyDecoder(Framing::kChunked, 0); }
  static BodyDecoder UntilClose() { return BodyDecoder(Framing::kUntilClose, 0); }

  // Decodes from the front of `in`, appending the body's bytes to `out`;
  // returns how many bytes of `in` it consumed: all of them, unless the body
  // ended within `in` (the rest belongs to the connection's next response) or
  // the framing is broken (failed() turns true).
  size_t Decode(std::string_view in, std::string& out);

  // The body is complete (never for UntilClose: the connection's end is).
  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kFailed; }
  // What was wrong with the framing, once failed().
  std::string_view error() const { return error_; }
  // The body runs until the connection closes: an EOF ends it well.
  bool until_close() const { return framing_ == Framing::kUntilClose; }

 private:
  enum class Framing { kLength, kChunked, kUntilClose };
  enum class State {
    kData,        // `remaining` bytes of data (length, or the current chunk)
    kSize,        // a chunk's size, in hex
    kExtension,   // a chunk extension, skipped up to its CR
    kSizeLf,      // the LF after a chunk's size line
    kDataCr,      // the CRLF after a chunk's data
    kDataLf,
    kTrailer,     // the start of a trailer line (or of the blank line that ends the body)
    kTrailerLine, // inside a trailer field, skipped up to its CR
    kTrailerLf,   // the LF after a trailer field
    kEndLf,       // the LF of the blank line that ends the body
    kDone,
    kFailed,
  };

  BodyDecoder(Framing framing, uint64_t length);
  size_t Fail(std::string_view error, size_t consumed);

  Framing framing_;
  State state_;
  uint64_t remaining_ = 0;  // kData: bytes left; kSize: the size so far
  int size_digits_ = 0;
  size_t trailer_bytes_ = 0;
  std::string_view error_;
};

}  // namespace switchboard::upstream
