// Log lines are single JSON objects on stderr with ts, level and msg first.

#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <future>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace switchboard::log {
namespace {

using nlohmann::json;

// Runs `write` with stderr sent into a temporary file (any amount fits);
// returns what was written. `write` may call ReadSoFar() for what is there.
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()), saved_(dup(STDERR_FILENO)) {
    EXPECT_NE(file_, nullptr);
    dup2(fileno(file_), STDERR_FILENO);
  }
  ~StderrCapture() {
    Restore();
    std::fclose(file_);
  }
  std::string ReadSoFar() const {
    std::string out;
    char buffer[4096];
    ssize_t n;
    off_t at = 0;
    while ((n = pread(fileno(file_), buffer, sizeof buffer, at)) > 0) {
      out.append(buffer, static_cast<size_t>(n));
      at += n;
    }
    return out;
  }
  void Restore() {
    if (saved_ < 0) return;
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }

 private:
  std::FILE* file_;
  int saved_;
};

template <typename F>
std::string CaptureStderr(F write) {
  StderrCapture capture;
  write();
  capture.Restore();
  return capture.ReadSoFar();
}

// The lines of `text`, each parsed; a line that is not JSON fails the test.
std::vector<json> ParseLines(const std::string& text) {
  std::vector<json> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    EXPECT_NE(end, std::string::npos) << "unterminated line: " << text.substr(start, 200);
    if (end == std::string::npos) break;
    json line = json::parse(text.substr(start, end - start), nullptr, false);
    EXPECT_FALSE(line.is_discarded()) << text.substr(start, end - start);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

TEST(LogLineTest, WritesOneJsonObjectPerLineWithFieldsInOrder) {
  std::string text = CaptureStderr([] {
    Line line(Level::kInfo, "request");
    line.Add("id", "req-1").Add("status", 200).Add("duration_ms", 1.23456).Add("stream", true);
    line.Add("tokens", uint64_t{18446744073709551615ull}).Add("delta", int64_t{-5});
    line.Write();
    line.Write();  // once only
  });
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "one line: " << text;
  json parsed = json::parse(text);
  EXPECT_EQ(parsed["level"], "info");
  EXPECT_EQ(parsed["msg"], "request");
  EXPECT_EQ(parsed["id"], "req-1");
  EXPECT_EQ(parsed["status"], 200);
  EXPECT_DOUBLE_EQ(parsed["duration_ms"].get<double>(), 1.235);
  EXPECT_EQ(parsed["stream"], true);
  EXPECT_EQ(parsed["tokens"].get<uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(parsed["delta"], -5);
  // ts, level and msg lead, then the fields as added.
  EXPECT_EQ(text.rfind("{\"ts\":\"", 0), 0u) << text;
  EXPECT_LT(text.find("\"msg\""), text.find("\"id\""));
  EXPECT_LT(text.find("\"id\""), text.find("\"status\""));
  std::string ts = parsed["ts"];
  ASSERT_EQ(ts.size(), 24u) << ts;  // 2026-11-22T03:57:01.123Z
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts[19], '.');
  EXPECT_EQ(ts.back(), 'Z');
}

// What gmtime_r and strftime make of the same time, for comparison.
std::string ReferenceTimestamp(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto millis = floor<milliseconds>(time);
  const time_t secs = static_cast<time_t>(floor<seconds>(millis).time_since_epoch().count());
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char text[32];
  size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>((millis - floor<seconds>(millis)).count()));
  return std::string(text, n) + frac;
}

std::string Timestamp(std::chrono::system_clock::time_point time) {
  std::string out = "x";  // appended to, not replaced
  AppendTimestamp(time, out);
  return out.substr(1);
}

TEST(LogTimestampTest, IsUtcToTheMillisecondAcrossDaysMonthsAndLeapYears) {
  using namespace std::chrono;
  using Time = system_clock::time_point;
  auto at = [](sys_days day, milliseconds since_midnight) { return Time(day) + since_midnight; };
  EXPECT_EQ(Timestamp(Time()), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Timestamp(at(2026y / 11 / 22, hours(3) + minutes(57) + seconds(1) + milliseconds(123))),
            "2026-11-22T03:57:01.123Z");
  EXPECT_EQ(Timestamp(at(1999y / 12 / 31, hours(24) - milliseconds(1))), "1999-12-31T23:59:59.999Z");
  EXPECT_EQ(Timestamp(at(2000y / 2 / 29, hours(12))), "2000-02-29T12:00:00.000Z");  // a leap year (400)
  EXPECT_EQ(Timestamp(at(2100y / 2 / 28, hours(24))), "2100-03-01T00:00:00.000Z");  // not one (100)
  EXPECT_EQ(Timestamp(at(2028y / 2 / 28, hours(24))), "2028-02-29T00:00:00.000Z");
  // Below the millisecond it is truncated, not rounded.
  EXPECT_EQ(Timestamp(at(2026y / 1 / 1, milliseconds(999)) + microseconds(999)), "2026-01-01T00:00:00.999Z");
  // And it agrees with the C library over two centuries, every field and
  // boundary met along the way (a step of about 3.7 days plus 3,611.007 s).
  Time time{};
  const auto step = hours(89) + seconds(3611) + milliseconds(7);
  int compared = 0;
  for (; time < Time(sys_days(2170y / 1 / 1)); time += step, ++compared) {
    ASSERT_EQ(Timestamp(time), ReferenceTimestamp(time));
  }
  EXPECT_GT(compared, 19000);
}

TEST(LogTimestampTest, EveryLineStartsWithTheTimeItWasMade) {
  using namespace std::chrono;
  const auto before = floor<milliseconds>(system_clock::now());
  std::string text = CaptureStderr([] { Info("now"); });
  const auto after = system_clock::now();
  json parsed = json::parse(text);
  const std::string ts = parsed["ts"];
  // Within [before, after]: one of the timestamps of that span.
  bool found = false;
  for (auto t = before; t <= after && !found; t += milliseconds(1)) found = Timestamp(t) == ts;
  EXPECT_TRUE(found) << ts << " not between " << Timestamp(before) << " and " << Timestamp(after);
}

TEST(LogLineTest, StringsAreEscapedAndBadUtf8Replaced) {
  std::string text = CaptureStderr([] {
    Line line(Level::kWarn, "quote \" and\nnewline");
    line.Add("bad", std::string("a\xff" "b")).Add("tab", "x\ty");
    line.Write();
  });
  json parsed = json::parse(text);
  EXPECT_EQ(parsed["msg"], "quote \" and\nnewline");
  EXPECT_EQ(parsed["bad"], "a\xef\xbf\xbd" "b");
  EXPECT_EQ(parsed["tab"], "x\ty");
  EXPECT_EQ(parsed["level"], "warn");
}

TEST(LogLineTest, MillisAreDurationsWithThreeDecimalsRoundedToTheMicrosecond) {
  using std::chrono::nanoseconds;
  std::string text = CaptureStderr([] {
    Line line(Level::kInfo, "timing");
    line.AddMillis("zero", nanoseconds(0))
        .AddMillis("sub_micro", nanoseconds(499))
        .AddMillis("half_micro", nanoseconds(500))
        .AddMillis("ms", nanoseconds(1'234'500))
        .AddMillis("carry", nanoseconds(1'999'999'600))
        .AddMillis("long", std::chrono::hours(30))
        .AddMillis("negative", nanoseconds(-2'500'400));
    line.Write();
  });
  // The text, not only the parsed value: always three decimals, as Add(double) writes.
  EXPECT_NE(text.find("\"zero\":0.000,"), std::string::npos) << text;
  EXPECT_NE(text.find("\"sub_micro\":0.000,"), std::string::npos) << text;
  EXPECT_NE(text.find("\"half_micro\":0.001,"), std::string::npos) << text;
  EXPECT_NE(text.find("\"ms\":1.235,"), std::string::npos) << text;
  EXPECT_NE(text.find("\"carry\":2000.000,"), std::string::npos) << text;
  EXPECT_NE(text.find("\"long\":108000000.000,"), std::string::npos) << text;
  EXPECT_NE(text.find("\"negative\":-2.500}"), std::string::npos) << text;
  EXPECT_NO_THROW(json::parse(text)) << text;
}

TEST(LogLineTest, KeysAreWrittenAsTheyAre) {
  // Keys are checked when compiled (log_key_check.cc: one that needs escaping
  // does not compile) and then copied as they are, whatever their length.
  static_assert(Key("status").text() == "status");
  struct Field {
    Key key;
    int value;
  };
  static constexpr Field kFields[] = {
      {"k", 1},
      {"seven_7", 7},
      {"eight_88", 8},
      {"nine_9999", 9},
      {"sixteen_16161616", 16},
      {"seventeen_1717171", 17},
      {"punctuation: x-request.id/2 (a~b) {c} [d] <e> 'f' `g`!?#$%&*+,;=@^|", 0},
      {"forty_40404040404040404040404040404040404", 40},
  };
  std::string text = CaptureStderr([] {
    Line line(Level::kInfo, "keys");
    for (const Field& field : kFields) line.Add(field.key, field.value);
    line.Write();
  });
  json parsed = json::parse(text);
  for (const Field& field : kFields) EXPECT_EQ(parsed[std::string(field.key.text())], field.value) << field.key.text();
  EXPECT_EQ(parsed.size(), 3u + std::size(kFields));  // ts, level, msg and the fields
}

TEST(LogLineTest, NumbersJsonCannotHoldAreNull) {
  std::string text = CaptureStderr([] {
    Line line(Level::kError, "odd");
    line.Add("nan", std::nan("")).Add("inf", std::numeric_limits<double>::infinity()).Add("huge", 1e300);
    line.Write();
  });
  json parsed = json::parse(text);
  EXPECT_TRUE(parsed["nan"].is_null());
  EXPECT_TRUE(parsed["inf"].is_null());
  EXPECT_TRUE(parsed["huge"].is_null());
}

TEST(LogLineTest, ADisabledLevelWritesNothing) {
  SetMinLevel(Level::kWarn);
  std::string text = CaptureStderr([] {
    Line line(Level::kInfo, "quiet");
    EXPECT_FALSE(line.enabled());
    line.Add("a", 1).Write();
    Info("quiet too", {{"a", 1}});
  });
  SetMinLevel(Level::kInfo);
  EXPECT_EQ(text, "");
}

TEST(LogWriteTest, JsonFieldsKeepTheirTypesAndCannotReplaceTheLinesOwnKeys) {
  std::string text = CaptureStderr([] {
    Info("ready", {{"api", "127.0.0.1:8080"}, {"models", 3}, {"list", {1, "two"}}, {"msg", "spoofed"}});
  });
  json parsed = json::parse(text);
  EXPECT_EQ(parsed["msg"], "ready");
  EXPECT_EQ(parsed["api"], "127.0.0.1:8080");
  EXPECT_EQ(parsed["models"], 3);
  EXPECT_EQ(parsed["list"], json({1, "two"}));
}

TEST(LogWriteTest, FieldKeysThatNeedEscapingAreEscaped) {
  // log::Write's keys come from a JSON object at run time, not from log::Key.
  const json fields = {{"plain_key", 1}, {"quo\"te", 2}, {"back\\slash", 3}, {"new\nline", 4}, {"caf\xc3\xa9", 5},
                       {std::string(70, 'q') + "\"", 6}};
  std::string text = CaptureStderr([&fields] { Warn("keys", fields); });
  json parsed = json::parse(text);
  for (const auto& [key, value] : fields.items()) EXPECT_EQ(parsed[key], value) << key;
}

// Polls `ready` every millisecond for up to 10 s.
template <typename F>
bool WaitFor(F ready) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!ready()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Lines of `threads` threads, each "n" 0..per_thread-1 in its thread's order:
// the lines must all be there, each thread's in order.
void ExpectAllLinesInOrder(const std::string& text, int threads, int per_thread) {
  std::vector<json> lines = ParseLines(text);
  ASSERT_EQ(lines.size(), static_cast<size_t>(threads * per_thread));
  std::vector<int> next(static_cast<size_t>(threads), 0);
  for (const json& line : lines) {
    const int t = line["t"].get<int>();
    ASSERT_GE(t, 0);
    ASSERT_LT(t, threads);
    ASSERT_EQ(line["n"].get<int>(), next[static_cast<size_t>(t)]) << "thread " << t;
    ++next[static_cast<size_t>(t)];
  }
}

// Info lines with a warning now and then (written at once, with those before it).
void WriteNumberedLines(int thread, int count, const std::string& filler = "") {
  for (int n = 0; n < count; ++n) {
    Line line(n % 500 == 499 ? Level::kWarn : Level::kInfo, "request");
    line.Add("t", thread).Add("n", n);
    if (!filler.empty()) line.Add("filler", filler);
    line.Write();
  }
}

TEST(BackgroundWriterTest, LinesOfManyThreadsAllArriveEachThreadsInOrder) {
  StderrCapture capture;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  {
    BackgroundWriter writer;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t] { WriteNumberedLines(t, kPerThread); });
    }
    for (auto& thread : threads) thread.join();
  }  // the writer's end writes what was pending
  ExpectAllLinesInOrder(capture.ReadSoFar(), kThreads, kPerThread);
  // And lines are written at once again.
  const size_t before = capture.ReadSoFar().size();
  Line(Level::kInfo, "after").Write();
  EXPECT_GT(capture.ReadSoFar().size(), before);
}

// An info line is written while the process runs on, with nothing after it
// to fill a batch.
TEST(BackgroundWriterTest, AnInfoLineIsWrittenWithoutMoreLinesAfterIt) {
  StderrCapture capture;
  BackgroundWriter writer;
  Line(Level::kInfo, "request").Add("n", 1).Write();
  EXPECT_TRUE(WaitFor([&] { return !capture.ReadSoFar().empty(); }));
  std::vector<json> lines = ParseLines(capture.ReadSoFar());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["n"], 1);
}

// stderr as a pipe nobody reads (a stalled log collector): a thread's write(2)
// would wait once 64 KiB are in the pipe.
class StalledStderr {
 public:
  StalledStderr() : saved_(dup(STDERR_FILENO)) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    read_end_ = fds[0];
    dup2(fds[1], STDERR_FILENO);
    close(fds[1]);
  }
  ~StalledStderr() {
    Restore();
    if (reader_.joinable()) reader_.join();
    close(read_end_);
  }
  // Starts reading everything written into the pipe.
  void StartReading() {
    reader_ = std::thread([this] {
      char buffer[65536];
      ssize_t n;
      while ((n = read(read_end_, buffer, sizeof buffer)) > 0) text_.append(buffer, static_cast<size_t>(n));
    });
  }
  // Closes the pipe's write end; after StartReading, all that was written.
  std::string Finish() {
    Restore();
    if (reader_.joinable()) reader_.join();
    return text_;
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }
  int saved_;
  int read_end_ = -1;
  std::thread reader_;
  std::string text_;
};

TEST(BackgroundWriterTest, AThreadThatLogsDoesNotWaitForAStalledStderr) {
  StalledStderr stderr_pipe;
  std::string text;
  {
    BackgroundWriter writer;
    // 1 MiB of lines, 16 times what the pipe holds.
    auto done = std::async(std::launch::async, [] { WriteNumberedLines(0, 1024, std::string(1000, 'x')); });
    EXPECT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready)
        << "the thread that logs waited for stderr";
    stderr_pipe.StartReading();
    done.wait();
  }
  ExpectAllLinesInOrder(stderr_pipe.Finish(), 1, 1024);
}

TEST(BackgroundWriterTest, PastEightMiBPendingAThreadThatLogsWaitsAndNothingIsLost) {
  StalledStderr stderr_pipe;
  constexpr int kLines = 24 * 1024;  // lines of about 1,070 bytes: 25 MiB
  std::atomic<int> written{0};
  {
    BackgroundWriter writer;
    auto done = std::async(std::launch::async, [&written] {
      const std::string filler(1000, 'x');
      for (int n = 0; n < kLines; ++n) {
        Line(Level::kInfo, "request").Add("t", 0).Add("n", n).Add("filler", filler).Write();
        written.store(n + 1);
      }
    });
    // 7 MiB go into the buffer without waiting ...
    EXPECT_TRUE(WaitFor([&] { return written.load() >= 7 * 1024; })) << written.load();
    // ... but not 24: the buffer, the writer's block in write(2) and the pipe hold at most 16 MiB and 64 KiB.
    EXPECT_EQ(done.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
    stderr_pipe.StartReading();
    EXPECT_EQ(done.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    done.wait();
  }
  ExpectAllLinesInOrder(stderr_pipe.Finish(), 1, kLines);
}

}  // namespace
}  // namespace switchboard::log
