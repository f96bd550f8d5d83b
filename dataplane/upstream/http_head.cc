#include "dataplane/upstream/http_head.h"

#include <charconv>
#include <cstring>

#include <ostream>

#include <boost/beast/http/status.hpp>

#include "absl/strings/match.h"

namespace switchboard::upstream {

void HeadWriter::AppendClean(std::string_view text) {
  if (text.empty()) return;
  // Values almost never hold a line break: two memchr calls say so.
  if (std::memchr(text.data(), '\r', text.size()) == nullptr && std::memchr(text.data(), '\n', text.size()) == nullptr) {
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
