#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include "common/background_thread.h"
#include "common/json_write.h"

namespace switchboard::log {
namespace {

std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

// One writer at a time: a write(2) of more than PIPE_BUF bytes to a pipe
// (a container's stderr) may otherwise interleave with another thread's. It
// also guards g_background.
std::mutex g_write_mutex;

void WriteAll(std::string_view text) {
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(STDERR_FILENO, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}

constexpr size_t kWriterWakeBytes = 64 * 1024;
constexpr size_t kWriterMaxPending = 8 * 1024 * 1024;
constexpr auto kWriterMaxDelay = std::chrono::milliseconds(10);

// The BackgroundWriter's state. Never destroyed (a thread that logs may still
// be waking from `room` when the writer ends), so a static of its own.
struct Background {
  bool active = false;   // lines go to `pending`
  bool stop = false;     // the BackgroundWriter is ending: write what is pending, then end
  bool prompt = false;   // `pending` holds a line that must not wait for more
  std::string pending;
  std::condition_variable wake;  // the writer waits for lines
  std::condition_variable room;  // threads that log wait while `pending` is full
  std::thread thread;
};
Background& g_background = *new Background;

void WriterLoop() {
  Background& bg = g_background;
  std::string out;
  std::unique_lock<std::mutex> lock(g_write_mutex);
  for (;;) {
    bg.wake.wait(lock, [&bg] { return bg.stop || !bg.pending.empty(); });
    if (!bg.stop && !bg.prompt && bg.pending.size() < kWriterWakeBytes) {
      // Request lines: wait a little for more, one write(2) for many.
      bg.wake.wait_for(lock, kWriterMaxDelay,
                       [&bg] { return bg.stop || bg.prompt || bg.pending.size() >= kWriterWakeBytes; });
    }
    if (bg.pending.empty()) {  // stopping, and all written: lines are written at once again
      bg.active = false;
      return;
    }
    out.swap(bg.pending);
    bg.prompt = false;
    lock.unlock();
    bg.room.notify_all();
    WriteAll(out);
    out.clear();
    if (out.capacity() > 4 * kWriterWakeBytes) std::string().swap(out);  // after a burst, give the memory back
    lock.lock();
  }
}

// `prompt`: write without waiting for more lines (a background writer's only).
void WriteOut(std::string_view text, bool prompt) {
  std::unique_lock<std::mutex> lock(g_write_mutex);
  Background& bg = g_background;
  if (bg.active && bg.pending.size() >= kWriterMaxPending) {
    bg.room.wait(lock, [&bg] { return !bg.active || bg.pending.size() < kWriterMaxPending; });
  }
  if (!bg.active) {
    WriteAll(text);
    return;
  }
  const bool was_empty = bg.pending.empty();
  bg.pending.append(text.data(), text.size());
  bg.prompt = bg.prompt || prompt;
  const bool wake = was_empty || prompt || bg.pending.size() >= kWriterWakeBytes;
  lock.unlock();
  if (wake) bg.wake.notify_one();
}

}  // namespace

void AppendTimestamp(std::chrono::system_clock::time_point time, std::string& out) {
  // Calendar arithmetic, not gmtime_r and snprintf: about 3,300 instructions
  // and forty cache lines of libc fewer for the first line of each second,
  // which for a router with a request now and then is every request line.
  using namespace std::chrono;
  const auto millis = floor<milliseconds>(time);
  const auto day = floor<days>(millis);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> clock{millis - day};
  char text[24];
  auto digits = [&text](int at, int count, unsigned value) {
    for (int i = at + count - 1; i >= at; --i) {
      text[i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  digits(0, 4, static_cast<unsigned>(static_cast<int>(date.year())));
  text[4] = '-';
  digits(5, 2, static_cast<unsigned>(date.month()));
  text[7] = '-';
  digits(8, 2, static_cast<unsigned>(date.day()));
  text[10] = 'T';
  digits(11, 2, static_cast<unsigned>(clock.hours().count()));
  text[13] = ':';
  digits(14, 2, static_cast<unsigned>(clock.minutes().count()));
  text[16] = ':';
  digits(17, 2, static_cast<unsigned>(clock.seconds().count()));
  text[19] = '.';
  digits(20, 3, static_cast<unsigned>(clock.subseconds().count()));
  text[23] = 'Z';
  out.append(text, sizeof text);
}

void SetMinLevel(Level level) { g_min_level.store(static_cast<int>(level)); }
bool Enabled(Level level) { return static_cast<int>(level) >= g_min_level.load(std::memory_order_relaxed); }

Line::Line(Level level, std::string_view msg) : enabled_(Enabled(level)), urgent_(level >= Level::kWarn) {
  if (!enabled_) return;
  text_.reserve(256);
  text_ += "{\"ts\":\"";
  AppendTimestamp(std::chrono::system_clock::now(), text_);
  text_ += "\",\"level\":\"";
  text_ += LevelName(level);
  text_ += "\",\"msg\":";
  AppendJsonStringReplacing(msg, text_);
}

void Line::AppendKey(log::Key key) {
  // ,"key": with one size check; the key was checked when compiled.
  const std::string_view k = key.text();
  const size_t at = text_.size();
  text_.resize(at + k.size() + 4);
  char* out = text_.data() + at;
  out[0] = ',';
  out[1] = '"';
  std::memcpy(out + 2, k.data(), k.size());
  out[k.size() + 2] = '"';
  out[k.size() + 3] = ':';
}

Line& Line::Add(log::Key key, std::string_view value) {
  if (!enabled_) return *this;
  AppendKey(key);
  AppendJsonStringReplacing(value, text_);
  return *this;
}

Line& Line::Add(log::Key key, bool value) {
  if (!enabled_) return *this;
  AppendKey(key);
  text_ += value ? "true" : "false";
  return *this;
}

Line& Line::Add(log::Key key, double value) {
  if (!enabled_) return *this;
  AppendKey(key);
  char buffer[64];
  auto [end, ec] = std::isfinite(value)
                       ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, 3)
                       : std::to_chars_result{buffer, std::errc::value_too_large};
  if (ec != std::errc()) {
    text_ += "null";  // JSON has no NaN or infinity (and no number this long is useful)
  } else {
    text_.append(buffer, end);
  }
  return *this;
}

Line& Line::AddMillis(log::Key key, std::chrono::nanoseconds duration) {
  if (!enabled_) return *this;
  AppendKey(key);
  int64_t micros = (duration.count() + (duration.count() >= 0 ? 500 : -500)) / 1000;  // half away from zero
  if (micros < 0) {
    text_.push_back('-');
    micros = -micros;
  }
  AppendJsonInteger(micros / 1000, text_);
  const auto fraction = static_cast<int>(micros % 1000);
  const char digits[4] = {'.', static_cast<char>('0' + fraction / 100), static_cast<char>('0' + fraction / 10 % 10),
                          static_cast<char>('0' + fraction % 10)};
  text_.append(digits, 4);
  return *this;
}

Line& Line::AddInteger(log::Key key, int64_t value) {
  if (!enabled_) return *this;
  AppendKey(key);
  AppendJsonInteger(value, text_);
  return *this;
}

Line& Line::AddUnsigned(log::Key key, uint64_t value) {
  if (!enabled_) return *this;
  AppendKey(key);
  AppendJsonInteger(value, text_);
  return *this;
}

Line& Line::Add(log::Key key, const nlohmann::json& value) {
  if (!enabled_) return *this;
  AppendKey(key);
  AppendValue(value);
  return *this;
}

void Line::AddField(std::string_view key, const nlohmann::json& value) {
  if (!enabled_) return;
  text_.push_back(',');
  AppendJsonStringReplacing(key, text_);
  text_.push_back(':');
  AppendValue(value);
}

void Line::AppendValue(const nlohmann::json& value) {
  if (value.is_string()) {
    AppendJsonStringReplacing(value.get_ref<const std::string&>(), text_);
  } else {
    text_ += DumpJson(value);
  }
}

void Line::Write() {
  if (!enabled_) return;
  enabled_ = false;
  text_ += "}\n";
  WriteOut(text_, /*prompt=*/urgent_);
}

BackgroundWriter::BackgroundWriter() {
  std::lock_guard<std::mutex> lock(g_write_mutex);
  Background& bg = g_background;
  bg.active = true;
  bg.stop = false;
  bg.thread = std::thread([] {
    // Its writes wait for the I/O threads' idle time, not the other way round.
    BecomeBackgroundThread("log-writer");
    WriterLoop();
  });
}

BackgroundWriter::~BackgroundWriter() {
  Background& bg = g_background;
  {
    std::lock_guard<std::mutex> lock(g_write_mutex);
    bg.stop = true;
  }
  bg.wake.notify_one();
  bg.thread.join();
}

void Write(Level level, std::string_view msg, const nlohmann::json& fields) {
  Line line(level, msg);
  if (!line.enabled()) return;
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      // A field named like one of the line's own keeps the line's meaning.
      if (it.key() == "ts" || it.key() == "level" || it.key() == "msg") continue;
      line.AddField(it.key(), it.value());
    }
  }
  line.Write();
}

}  // namespace switchboard::log
