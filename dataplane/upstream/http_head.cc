#include "dataplane/upstream/http_head.h"

#include <charconv>
#include <cstring>

#include <ostream>

#include <boost/beast/http/status.hpp>

namespace switchboard::upstream {

namespace {

// True when no byte of the 8 at `p` is below 0x0E ("has a byte less than
// n", Bit Twiddling Hacks; exact for n <= 128).
bool NoLineBreakWord(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return ((w - kOnes * 0x0E) & ~w & kHighs) == 0;
}

// True when no byte of `text` is below 0x0E, so none is '\r' or '\n': eight
// bytes at a time, the last eight overlapping the ones before (no byte by
// byte tail); shorter text byte by byte.
bool NoLineBreakByte(std::string_view text) {
  const char* p = text.data();
  const size_t n = text.size();
  if (n < 8) {
    for (size_t i = 0; i < n; ++i) {
      if (static_cast<unsigned char>(p[i]) < 0x0E) return false;
    }
    return true;
  }
  for (size_t i = 0; i + 8 < n; i += 8) {
    if (!NoLineBreakWord(p + i)) return false;
  }
  return NoLineBreakWord(p + n - 8);
}

}  // namespace

void HeadWriter::AppendClean(std::string_view text) {
  // Values almost never hold a byte below 0x0E; only then are line breaks
  // looked for one by one.
  if (NoLineBreakByte(text)) {
    text_.append(text);
    return;
  }
  for (char c : text) {
    if (c != '\r' && c != '\n') text_.push_back(c);
  }
}

void HeadWriter::RequestLine(std::string_view method, std::string_view target) {
  AppendClean(method);
  text_.push_back(' ');
  // A target with a space or control character would break the request line.
  for (char c : target) {
    if (static_cast<unsigned char>(c) > 0x20 && c != 0x7f) text_.push_back(c);
  }
  text_ += " HTTP/1.1\r\n";
}

void HeadWriter::StatusLine(int status) {
  char digits[8];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, status);
  text_ += "HTTP/1.1 ";
  text_.append(digits, end);
  text_.push_back(' ');
  text_.append(boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status)));
  text_ += "\r\n";
}

void HeadWriter::Field(std::string_view name, std::string_view value) {
  if (NoLineBreakByte(name) && NoLineBreakByte(value)) {
    // The usual field: one size check and four copies, not four appends.
    const size_t at = text_.size();
    text_.resize(at + name.size() + value.size() + 4);
    char* out = text_.data() + at;
    // (An empty view may have no data: memcpy must not see a null pointer.)
    if (!name.empty()) std::memcpy(out, name.data(), name.size());
    out += name.size();
    *out++ = ':';
    *out++ = ' ';
    if (!value.empty()) std::memcpy(out, value.data(), value.size());
    out += value.size();
    *out++ = '\r';
    *out = '\n';
    return;
  }
  AppendClean(name);
  text_ += ": ";
  AppendClean(value);
  text_ += "\r\n";
}

void HeadWriter::ContentLength(size_t length) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, length);
  Field("Content-Length", std::string_view(digits, static_cast<size_t>(end - digits)));
}

const std::string& HeadWriter::End() {
  text_ += "\r\n";
  return text_;
}

std::string_view ChunkPrefix(size_t size, char* out) {
  auto [end, ec] = std::to_chars(out, out + 16, size, 16);
  end[0] = '\r';
  end[1] = '\n';
  return std::string_view(out, static_cast<size_t>(end + 2 - out));
}

bool HasField(const FieldList& list, std::string_view name, size_t from) {
  for (size_t i = from; i < list.size(); ++i) {
    if (SameFieldName(name, list[i].first)) return true;
  }
  return false;
}

}  // namespace switchboard::upstream
