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

// {"ts":"2026-11-22T03:57:01.123Z","level":"info","msg":<msg>, ...fields}
void Write(Level level, std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());

inline void Debug(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kDebug, msg, f); }
inline void Info(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kInfo, msg, f); }
inline void Warn(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kWarn, msg, f); }
inline void Error(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) { Write(Level::kError, msg, f); }

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

  Line& Add(std::string_view key, std::string_view value);
  Line& Add(std::string_view key, const char* value) { return Add(key, std::string_view(value)); }
  Line& Add(std::string_view key, const std::string& value) { return Add(key, std::string_view(value)); }
  Line& Add(std::string_view key, bool value);
  Line& Add(std::string_view key, double value);  // fixed, 3 decimals
  // A duration in milliseconds, 3 decimals (rounded to the microsecond): what
  // Add(key, milliseconds as a double) writes, in integer arithmetic.
  Line& AddMillis(std::string_view key, std::chrono::nanoseconds duration);
  template <typename Int>
    requires(std::is_integral_v<Int> && !std::is_same_v<Int, bool>)
  Line& Add(std::string_view key, Int value) {
    if constexpr (std::is_signed_v<Int>) {
      return AddInteger(key, static_cast<int64_t>(value));
    } else {
      return AddUnsigned(key, static_cast<uint64_t>(value));
    }
  }
  Line& Add(std::string_view key, const nlohmann::json& value);

  // Writes the line (once; later calls do nothing).
  void Write();

 private:
  Line& AddInteger(std::string_view key, int64_t value);
  Line& AddUnsigned(std::string_view key, uint64_t value);
  void Key(std::string_view key);

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
