#pragma once
// HTTP/1.1 message heads and chunk framing written straight into a string.
// For the few fixed shapes the data plane sends (a request to an upstream, a
// response or an event stream to a client), this is a handful of appends;
// Beast's generic serializer walks a chain of buffer views field by field and
// cost more than everything else in a small proxied request together.

#include <cstddef>
#include <string>
#include <string_view>

namespace switchboard::upstream {

class HeadWriter {
 public:
  HeadWriter() { text_.reserve(512); }

  // "POST /v1/chat/completions HTTP/1.1"
  void RequestLine(std::string_view method, std::string_view target);
  // "HTTP/1.1 200 OK"
  void StatusLine(int status);
  // "Name: value". A CR or LF in either (which would end the field early and
  // let a value write fields of its own) is dropped.
  void Field(std::string_view name, std::string_view value);
  void ContentLength(size_t length);
  // The blank line that ends the head; returns the whole head.
  const std::string& End();

 private:
  void AppendClean(std::string_view text);
  std::string text_;
};

// The frame of one chunk of a chunked body: "<size in hex>\r\n" goes before
// the data, "\r\n" after it. `out` needs room for 18 characters.
std::string_view ChunkPrefix(size_t size, char* out);
inline constexpr std::string_view kChunkSuffix = "\r\n";
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// Case-insensitive ASCII comparison of header names.
bool SameFieldName(std::string_view a, std::string_view b);

}  // namespace switchboard::upstream
