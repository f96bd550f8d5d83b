#pragma once
// Incremental parser for text/event-stream bodies (the WHATWG EventSource
// format): bytes in, complete events out, whatever way the bytes were split
// across reads. Not thread-safe; one per response.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::providers {

struct SseEvent {
  std::string event;  // the `event:` field, empty when absent
  std::string data;   // `data:` lines joined with '\n'
};

class SseParser {
 public:
  // `max_event_bytes` bounds what one event may buffer (a hostile or broken
  // upstream must not make us buffer without limit). 8 MiB leaves room for
  // an image in a Gemini chunk; nothing a chat model streams comes near it.
  explicit SseParser(size_t max_event_bytes = 8 << 20) : max_event_bytes_(max_event_bytes) {}

  // Appends the events completed by `bytes` to `out`. Comment lines (": ...")
  // increment comments() and are otherwise dropped. Returns false once the
  // event-size bound was exceeded (the parser stays failed).
  bool Feed(std::string_view bytes, std::vector<SseEvent>& out);

  // An event that was not terminated by a blank line before the stream ended.
  bool Flush(std::vector<SseEvent>& out);

  size_t comments() const { return comments_; }
  bool failed() const { return failed_; }

 private:
  void ProcessLine(std::string_view line, std::vector<SseEvent>& out);

  size_t max_event_bytes_;
  std::string line_;  // partial line carried across Feed calls
  bool saw_cr_ = false;
  SseEvent pending_;
  bool has_data_ = false;
  size_t comments_ = 0;
  bool failed_ = false;
};

// "data: <payload>\n\n", splitting a payload with newlines into several lines.
void AppendSseData(std::string& out, std::string_view payload);

}  // namespace switchboard::providers
