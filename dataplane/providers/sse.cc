#include "dataplane/providers/sse.h"

namespace switchboard::providers {

bool SseParser::Feed(std::string_view bytes, std::vector<SseEvent>& out) {
  if (failed_) return false;
  size_t start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (c != '\n' && c != '\r') continue;
    if (c == '\n' && saw_cr_ && i == start && line_.empty()) {
      // second half of a "\r\n" split across two Feed calls, or right after '\r'
      saw_cr_ = false;
      start = i + 1;
      continue;
    }
    line_.append(bytes.substr(start, i - start));
    ProcessLine(line_, out);
    line_.clear();
    saw_cr_ = c == '\r';
    start = i + 1;
    if (c == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') {
      ++i;
      start = i + 1;
      saw_cr_ = false;
    }
  }
  if (start < bytes.size()) {
    saw_cr_ = false;
    line_.append(bytes.substr(start));
  }
  if (line_.size() + pending_.data.size() > max_event_bytes_) failed_ = true;
  return !failed_;
}

void SseParser::ProcessLine(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {
    if (has_data_) out.push_back(std::move(pending_));
    pending_ = SseEvent{};
    has_data_ = false;
    return;
  }
  if (line.front() == ':') {
    ++comments_;
    return;
  }
  std::string_view field = line;
  std::string_view value;
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) pending_.data.push_back('\n');
    pending_.data.append(value);
    has_data_ = true;
    if (pending_.data.size() > max_event_bytes_) failed_ = true;
  } else if (field == "event") {
    pending_.event = std::string(value);
  }
  // id, retry and unknown fields carry nothing a chat client needs.
}

bool SseParser::Flush(std::vector<SseEvent>& out) {
  if (failed_) return false;
  if (!line_.empty()) {
    ProcessLine(line_, out);
    line_.clear();
  }
  if (has_data_) out.push_back(std::move(pending_));
  pending_ = SseEvent{};
  has_data_ = false;
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
