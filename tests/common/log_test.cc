// Log lines are single JSON objects on stderr with ts, level and msg first.

#include "common/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace switchboard::log {
namespace {

using nlohmann::json;

// Runs `write` with stderr sent into a pipe; returns what was written.
template <typename F>
std::string CaptureStderr(F write) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  int saved = dup(STDERR_FILENO);
  dup2(fds[1], STDERR_FILENO);
  close(fds[1]);
  write();
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(n));
  close(fds[0]);
  return out;
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

TEST(LogLineTest, KeysThatNeedEscapingAreEscaped) {
  std::string text = CaptureStderr([] {
    Line line(Level::kInfo, "keys");
    line.Add("plain_key", 1).Add("quo\"te", 2).Add("back\\slash", 3).Add("new\nline", 4).Add("caf\xc3\xa9", 5);
    line.Write();
  });
  json parsed = json::parse(text);
  EXPECT_EQ(parsed["plain_key"], 1);
  EXPECT_EQ(parsed["quo\"te"], 2);
  EXPECT_EQ(parsed["back\\slash"], 3);
  EXPECT_EQ(parsed["new\nline"], 4);
  EXPECT_EQ(parsed["caf\xc3\xa9"], 5);
}

TEST(LogLineTest, KeysOfEveryLength) {
  // Short plain keys take one append; longer ones the general way.
  std::string text = CaptureStderr([] {
    Line line(Level::kInfo, "lengths");
    for (size_t length = 1; length <= 80; ++length) line.Add(std::string(length, 'k'), static_cast<int64_t>(length));
    line.Add(std::string(70, 'q') + "\"", 0);
    line.Write();
  });
  json parsed = json::parse(text);
  for (size_t length = 1; length <= 80; ++length) EXPECT_EQ(parsed[std::string(length, 'k')], length);
  EXPECT_EQ(parsed[std::string(70, 'q') + "\""], 0);
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

}  // namespace
}  // namespace switchboard::log
