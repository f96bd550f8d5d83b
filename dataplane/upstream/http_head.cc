#include "dataplane/upstream/http_head.h"

#include <charconv>
#include <cstring>

#include <ostream>

#include <boost/beast/http/status.hpp>

#include "absl/strings/match.h"

namespace switchboard::upstream {

namespace {

// True when no byte of `text` is below 0x0E, so none is '\r' or '\n': eight
// bytes at a time ("has a byte less than n", Bit Twiddling Hacks; exact for
// n <= 128), then byte by byte.
bool NoLineBreakByte(std::string_view text) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  const char* p = text.data();
  size_t n = text.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, sizeof w);
    if (((w - kOnes * 0x0E) & ~w & kHighs) != 0) return false;
  }
  for (; n > 0; ++p, --n) {
    if (static_cast<unsigned char>(*p) < 0x0E) return false;
  }
  return true;
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

bool SameFieldName(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(absl::string_view(a.data(), a.size()), absl::string_view(b.data(), b.size()));
}

bool HasField(const FieldList& list, std::string_view name, size_t from) {
  for (size_t i = from; i < list.size(); ++i) {
    if (SameFieldName(name, list[i].first)) return true;
  }
  return false;
}

}  // namespace switchboard::upstream
