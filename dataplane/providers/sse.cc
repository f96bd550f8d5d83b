#include "dataplane/providers/sse.h"

#include <algorithm>
#include <cstring>

namespace switchboard::providers {
namespace {

constexpr size_t kKeptCapacity = 64 << 10;

}  // namespace

bool SseParser::Feed(std::string_view bytes, OnEvent on_event) {
  if (failed_) return false;
  const char* base = bytes.data();
  const size_t n = bytes.size();
  // Line ends are found with memchr: '\n' for each line, '\r' once (most
  // streams have none) and again only after passing one.
  auto find = [&](char c, size_t from) {
    const void* at = from < n ? std::memchr(base + from, c, n - from) : nullptr;
    return at == nullptr ? n : static_cast<size_t>(static_cast<const char*>(at) - base);
  };
  size_t start = 0;
  size_t next_cr = find('\r', 0);
  while (start < n) {
    if (saw_cr_) {
      // The '\n' of a "\r\n" split across two Feed calls.
      saw_cr_ = false;
      if (base[start] == '\n' && line_.empty()) {
        ++start;
        continue;
      }
    }
    if (next_cr < start) next_cr = find('\r', start);
    size_t end = std::min(find('\n', start), next_cr);
    if (end == n) break;  // an unfinished line: kept for the next call
    std::string_view line = bytes.substr(start, end - start);
    if (line_.empty()) {
      ProcessLine(line, /*in_bytes=*/true, on_event);  // the whole line is here: no copy
    } else {
      line_.append(line);
      ProcessLine(line_, /*in_bytes=*/false, on_event);
      line_.clear();
    }
    start = end + 1;
    if (base[end] == '\r') {
      if (start < n) {
        if (base[start] == '\n') ++start;
      } else {
        saw_cr_ = true;
      }
    }
  }
  if (start < n) line_.append(bytes.substr(start));
  if (data_is_view()) OwnData();  // `bytes` go away when this returns
  if (line_.size() + data_.size() > max_event_bytes_) failed_ = true;
  return !failed_;
}

void SseParser::OwnData() {
  data_.assign(data_view_);
  data_view_ = {};
}

void SseParser::ProcessLine(std::string_view line, bool in_bytes, OnEvent on_event) {
  if (line.empty()) {
    if (has_data_ && !failed_) on_event(SseEvent{event_, data()});
    event_.clear();
    data_.clear();
    // The buffer is kept for the next event, unless a rare large one grew it
    // (a stream may be held for minutes).
    if (data_.capacity() > kKeptCapacity) data_.shrink_to_fit();
    data_view_ = {};
    has_data_ = false;
    return;
  }
  if (line.front() == ':') {
    ++comments_;
    return;
  }
  std::string_view field = line;
  // A field with no colon has an empty value: empty at the line's end, not a
  // null view (what gets the data passes it to memcpy and simdjson).
  std::string_view value = line.substr(line.size());
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (!has_data_ && in_bytes) {
      data_view_ = value;  // never a null view (see ProcessLine's value)
    } else {
      if (data_is_view()) OwnData();
      if (has_data_) data_.push_back('\n');
      data_.append(value);
    }
    has_data_ = true;
    if (data_size() > max_event_bytes_) failed_ = true;
  } else if (field == "event") {
    event_.assign(value);
  }
  // id, retry and unknown fields carry nothing a chat client needs.
}

bool SseParser::Flush(OnEvent on_event) {
  if (failed_) return false;
  if (!line_.empty()) {
    ProcessLine(line_, /*in_bytes=*/false, on_event);
    line_.clear();
  }
  ProcessLine({}, /*in_bytes=*/false, on_event);  // as a blank line would
  return true;
}

void AppendSseData(std::string& out, std::string_view payload) {
  size_t start = 0;
  while (true) {
    size_t nl = payload.find('\n', start);
    out += "data: ";
    out.append(payload.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    out += '\n';
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  out += '\n';
}

}  // namespace switchboard::providers
