#pragma once
// Incremental parser for text/event-stream bodies (the WHATWG EventSource
// format): bytes in, complete events out, whatever way the bytes were split
// across reads. Not thread-safe; one per response.
//
// An event is handed over as views, valid for the call that receives it: an
// event that came whole in one Feed (one `data:` line, the usual case for a
// chat stream) is a view of the bytes fed, not a copy. Only what must outlive
// a Feed (a line or an event cut by the end of a read) or be joined (several
// `data:` lines) is copied into the parser's own buffers, whose capacity is
// reused from event to event.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"

namespace switchboard::providers {

struct SseEvent {
  std::string_view event;  // the `event:` field, empty when absent
  std::string_view data;   // `data:` lines joined with '\n'; never a null view, even when empty
};

class SseParser {
 public:
  // `max_event_bytes` bounds what one event may buffer (a hostile or broken
  // upstream must not make us buffer without limit). 8 MiB leaves room for
  // an image in a Gemini chunk; nothing a chat model streams comes near it.
  explicit SseParser(size_t max_event_bytes = 8 << 20) : max_event_bytes_(max_event_bytes) {}

  using OnEvent = absl::FunctionRef<void(const SseEvent&)>;

  // Calls `on_event` for each event `bytes` complete, in order. Comment lines
  // (": ...") increment comments() and are otherwise dropped. Returns false
  // once the event-size bound was exceeded (the parser stays failed).
  bool Feed(std::string_view bytes, OnEvent on_event);

  // The event that was not terminated by a blank line before the stream ended.
  bool Flush(OnEvent on_event);

  size_t comments() const { return comments_; }
  bool failed() const { return failed_; }

 private:
  // `line` is part of the bytes being fed (not of line_): a value in it may
  // be kept as a view until the Feed ends.
  void ProcessLine(std::string_view line, bool in_bytes, OnEvent on_event);
  // The pending data is a view of the bytes being fed (a set view is never
  // null, even when empty).
  bool data_is_view() const { return data_view_.data() != nullptr; }
  std::string_view data() const { return data_is_view() ? data_view_ : std::string_view(data_); }
  size_t data_size() const { return data_is_view() ? data_view_.size() : data_.size(); }
  // The pending event's data into data_ (before a join, or before the bytes
  // it views go away).
  void OwnData();

  size_t max_event_bytes_;
  std::string line_;  // partial line carried across Feed calls
  bool saw_cr_ = false;
  // The pending event: its data is data_view_ (in the bytes being fed) or
  // data_.
  std::string event_;
  std::string data_;
  std::string_view data_view_;
  bool has_data_ = false;
  size_t comments_ = 0;
  bool failed_ = false;
};

// "data: <payload>\n\n", splitting a payload with newlines into several lines.
void AppendSseData(std::string& out, std::string_view payload);

}  // namespace switchboard::providers
