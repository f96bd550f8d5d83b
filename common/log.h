#pragma once
// Structured logging: one JSON object per line on stderr. Thread-safe; lines
// from several threads never interleave (whole lines, one writer at a time).
// Never pass message text, keys or tokens as fields.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace switchboard::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetMinLevel(Level level);
bool Enabled(Level level);

// Appends a line's ts for `time`: "2026-11-22T03:57:01.123Z" (UTC, the
// milliseconds truncated; years 0000 to 9999).
void AppendTimestamp(std::chrono::system_clock::time_point time, std::string& out);

// {"ts":"2026-11-22T03:57:01.123Z","level":"info","msg":<msg>, ...fields}
void Write(Level level, std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());

inline void Debug(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kDebug, msg, f); }
inline void Info(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kInfo, msg, f); }
inline void Warn(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kWarn, msg, f); }
inline void Error(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kError, msg, f); }

// A Line's key: a string literal of printable ASCII without '"' or '\\',
// checked when the program is compiled (any other key does not compile), so
// that writing it needs no look at its bytes.
class Key {
 public:
  template <size_t N>
  consteval Key(const char (&text)[N]) : text_(text, N - 1) {  // NOLINT: a literal converts implicitly
    for (char c : text_) {
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') throw "log::Key: printable ASCII without '\"' or '\\'";
    }
  }
  constexpr std::string_view text() const { return text_; }

 private:
  std::string_view text_;
};

// The same line built field by field, for hot paths (a line per request):
// no JSON tree, one buffer. Fields appear in the order they are added; a key
// must not repeat (nor be ts, level or msg). Does nothing when the level is
// disabled.
//   log::Line line(log::Level::kInfo, "request");
//   line.Add("id", id).Add("status", 200).AddMillis("duration_ms", elapsed);
//   line.Write();
class Line {
 public:
  Line(Level level, std::string_view msg);
  bool enabled() const { return enabled_; }

  Line& Add(log::Key key, std::string_view value);
  Line& Add(log::Key key, const char* value) { return Add(key, std::string_view(value)); }
  Line& Add(log::Key key, const std::string& value) { return Add(key, std::string_view(value)); }
  Line& Add(log::Key key, bool value);
  Line& Add(log::Key key, double value);  // fixed, 3 decimals
  // A duration in milliseconds, 3 decimals (rounded to the microsecond): what
  // Add(key, milliseconds as a double) writes, in integer arithmetic.
  Line& AddMillis(log::Key key, std::chrono::nanoseconds duration);
  template <typename Int>
    requires(std::is_integral_v<Int> && !std::is_same_v<Int, bool>)
  Line& Add(log::Key key, Int value) {
    if constexpr (std::is_signed_v<Int>) {
      return AddInteger(key, static_cast<int64_t>(value));
    } else {
      return AddUnsigned(key, static_cast<uint64_t>(value));
    }
  }
  Line& Add(log::Key key, const nlohmann::json& value);

  // Writes the line (once; later calls do nothing).
  void Write();

 private:
  Line& AddInteger(log::Key key, int64_t value);
  Line& AddUnsigned(log::Key key, uint64_t value);
  void AppendKey(log::Key key);
  // log::Write's fields, whose keys come from a JSON object: escaped.
  friend void Write(Level level, std::string_view msg, const nlohmann::json& fields);
  void AddField(std::string_view key, const nlohmann::json& value);
  void AppendValue(const nlohmann::json& value);

  bool enabled_;
  bool urgent_;  // warn and error: written at once, with the lines before it
  std::string text_;
};

// While a BackgroundWriter lives, a thread of its own writes every line: a
// thread that logs copies its line into a buffer and goes on, and never waits
// for the disk or pipe behind stderr (ext4's journal held an I/O thread's
// write(2) for up to 2 ms; a container runtime's log pipe can stall longer).
// Lines keep their order. Info and debug lines (a line per request) are
// written within 10 ms or once 64 KiB are pending, many in one write(2); a
// warning or an error at once, with the lines before it. Nothing is dropped:
// past 8 MiB pending, a thread that logs waits for the writer. The end writes
// what is pending; lines are written at once again.
// One at a time, in main: constructed before the threads that log and
// destroyed after them.
class BackgroundWriter {
 public:
  BackgroundWriter();
  ~BackgroundWriter();
  BackgroundWriter(const BackgroundWriter&) = delete;
  BackgroundWriter& operator=(const BackgroundWriter&) = delete;
};

}  // namespace switchboard::log
