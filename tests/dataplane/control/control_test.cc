#include <gtest/gtest.h>

#include "dataplane/control/backoff.h"
#include "dataplane/control/stats_report.h"

namespace switchboard::control {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, GrowsExponentiallyUpToTheCap) {
  BackoffPolicy policy;  // 250 ms, x2, 10 s
  EXPECT_EQ(BackoffDelay(policy, 0, 1.0), milliseconds(250));
  EXPECT_EQ(BackoffDelay(policy, 1, 1.0), milliseconds(500));
  EXPECT_EQ(BackoffDelay(policy, 3, 1.0), milliseconds(2000));
  EXPECT_EQ(BackoffDelay(policy, 6, 1.0), milliseconds(10'000));
  EXPECT_EQ(BackoffDelay(policy, 30, 1.0), milliseconds(10'000));
}

TEST(BackoffTest, JitterStaysBetweenHalfAndAllOfTheDelay) {
  BackoffPolicy policy;
  EXPECT_EQ(BackoffDelay(policy, 2, 0.0), milliseconds(500));
  EXPECT_EQ(BackoffDelay(policy, 2, 0.5), milliseconds(750));
  for (double r = 0; r < 1; r += 0.01) {
    auto delay = BackoffDelay(policy, 10, r);
    EXPECT_GE(delay, milliseconds(5000));
    EXPECT_LE(delay, milliseconds(10'000));
  }
}

TEST(StatsReportTest, CarriesEveryFigure) {
  metrics::ModelStatsData data;
  data.model = "gpt";
  data.requests_by_code_class = {{"2xx", 7}, {"5xx", 1}};
  data.prompt_tokens = 30;
  data.completion_tokens = 40;
  data.duration_seconds = {{0.5, 1}, {3, 8}, 8, 4.5};
  data.time_to_first_token_seconds = {{0.1}, {7}, 7, 0.3};
  auto report = MakeStatsReport("dp-1", "abc", {data});
  EXPECT_EQ(report.node_id(), "dp-1");
  EXPECT_EQ(report.instance_id(), "abc");
  ASSERT_EQ(report.models_size(), 1);
  const auto& model = report.models(0);
  EXPECT_EQ(model.model(), "gpt");
  EXPECT_EQ(model.requests_by_code_class().at("2xx"), 7u);
  EXPECT_EQ(model.requests_by_code_class().at("5xx"), 1u);
  EXPECT_EQ(model.prompt_tokens(), 30u);
  EXPECT_EQ(model.completion_tokens(), 40u);
  ASSERT_EQ(model.duration_seconds().upper_bounds_size(), 2);
  EXPECT_EQ(model.duration_seconds().cumulative_counts(1), 8u);
  EXPECT_EQ(model.duration_seconds().count(), 8u);
  EXPECT_DOUBLE_EQ(model.duration_seconds().sum(), 4.5);
  EXPECT_EQ(model.time_to_first_token_seconds().cumulative_counts(0), 7u);
}

}  // namespace
}  // namespace switchboard::control
