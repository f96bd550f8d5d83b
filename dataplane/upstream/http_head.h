#pragma once
// HTTP/1.1 message heads and chunk framing written straight into a string.
// For the few fixed shapes the data plane sends (a request to an upstream, a
// response or an event stream to a client), this is a handful of appends;
// Beast's generic serializer walks a chain of buffer views field by field and
// cost more than everything else in a small proxied request together.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
// kChunkSuffix then kLastChunk: a body's last data and its end in one write.
inline constexpr std::string_view kChunkSuffixAndLastChunk = "\r\n0\r\n\r\n";

// Case-insensitive ASCII comparison of header names. Inline: most calls
// compare names of different lengths, or that differ in their first byte.
inline bool SameFieldName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    // Equal, or the same letter in another case (only bit 0x20 differs).
    if (x != y && ((x | 0x20) != (y | 0x20) || static_cast<unsigned>((x | 0x20) - 'a') > 'z' - 'a')) return false;
  }
  return true;
}

// Header fields as the data plane keeps them (name, value), in order.
using FieldList = std::vector<std::pair<std::string, std::string>>;

// True when list[from...] has a field named `name`. Where a later field
// replaces an earlier one of the same name, the earlier one is written only
// when this is false for the fields after it.
bool HasField(const FieldList& list, std::string_view name, size_t from = 0);

}  // namespace switchboard::upstream
