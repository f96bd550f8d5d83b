#include "controlplane/stats_aggregator.h"

#include <gtest/gtest.h>

namespace switchboard::controlplane {
namespace {

using controlplane::v1::StatsReport;

Histogram MakeHistogram(std::vector<double> bounds, std::vector<uint64_t> cumulative, uint64_t count, double sum) {
  Histogram h;
  for (double b : bounds) h.add_upper_bounds(b);
  for (uint64_t c : cumulative) h.add_cumulative_counts(c);
  h.set_count(count);
  h.set_sum(sum);
  return h;
}

// One model's figures: `ok` 2xx and `failed` 5xx requests, tokens, and
// durations all in the (0.1, 1] bucket.
ModelStats Stats(const std::string& model, uint64_t ok, uint64_t failed, uint64_t prompt, uint64_t completion) {
  ModelStats stats;
  stats.set_model(model);
  if (ok > 0) (*stats.mutable_requests_by_code_class())["2xx"] = ok;
  if (failed > 0) (*stats.mutable_requests_by_code_class())["5xx"] = failed;
  stats.set_prompt_tokens(prompt);
  stats.set_completion_tokens(completion);
  uint64_t n = ok + failed;
  *stats.mutable_duration_seconds() = MakeHistogram({0.1, 1, 10}, {0, n, n}, n, 0.5 * static_cast<double>(n));
  *stats.mutable_time_to_first_token_seconds() = MakeHistogram({0.1, 1}, {n, n}, n, 0.05 * static_cast<double>(n));
  return stats;
}

StatsReport Report(const std::string& node, const std::string& instance, std::vector<ModelStats> models) {
  StatsReport report;
  report.set_node_id(node);
  report.set_instance_id(instance);
  for (auto& m : models) *report.add_models() = std::move(m);
  return report;
}

const ModelStats* Find(const std::vector<ModelStats>& totals, const std::string& model) {
  for (const auto& m : totals) {
    if (m.model() == model) return &m;
  }
  return nullptr;
}

TEST(StatsAggregatorTest, SumsTheLatestReportOfEveryDataPlane) {
  StatsAggregator stats;
  ASSERT_TRUE(stats.Report(Report("dp-1", "i1", {Stats("m", 5, 1, 10, 20)})).ok());
  ASSERT_TRUE(stats.Report(Report("dp-2", "i2", {Stats("m", 3, 0, 1, 2), Stats("n", 1, 0, 0, 0)})).ok());
  // A later report of dp-1 replaces its earlier one (cumulative figures).
  ASSERT_TRUE(stats.Report(Report("dp-1", "i1", {Stats("m", 7, 1, 14, 28)})).ok());

  auto totals = stats.Totals();
  ASSERT_EQ(totals.size(), 2u);
  const ModelStats* m = Find(totals, "m");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->requests_by_code_class().at("2xx"), 10u);
  EXPECT_EQ(m->requests_by_code_class().at("5xx"), 1u);
  EXPECT_EQ(m->prompt_tokens(), 15u);
  EXPECT_EQ(m->completion_tokens(), 30u);
  EXPECT_EQ(m->duration_seconds().count(), 11u);
  EXPECT_EQ(m->duration_seconds().cumulative_counts(1), 11u);
  EXPECT_DOUBLE_EQ(m->duration_seconds().sum(), 5.5);
  EXPECT_EQ(stats.processes(), 2u);
}

TEST(StatsAggregatorTest, ARestartedDataPlaneKeepsItsOldFiguresInTheTotals) {
  StatsAggregator stats;
  ASSERT_TRUE(stats.Report(Report("dp-1", "before", {Stats("m", 100, 0, 50, 50)})).ok());
  // The same node restarted: its counters begin again.
  ASSERT_TRUE(stats.Report(Report("dp-1", "after", {Stats("m", 2, 0, 1, 1)})).ok());
  auto totals = stats.Totals();
  ASSERT_EQ(totals.size(), 1u);
  EXPECT_EQ(totals[0].requests_by_code_class().at("2xx"), 102u);
  EXPECT_EQ(totals[0].prompt_tokens(), 51u);
  EXPECT_EQ(stats.processes(), 2u);

  // A late report from the replaced process would count twice: refused.
  auto late = stats.Report(Report("dp-1", "before", {Stats("m", 101, 0, 50, 50)}));
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stats.Totals()[0].requests_by_code_class().at("2xx"), 102u);
}

TEST(StatsAggregatorTest, TotalsNeverGoDownWhenAModelLeavesAReport) {
  StatsAggregator stats;
  ASSERT_TRUE(stats.Report(Report("dp-1", "i", {Stats("old", 4, 0, 0, 0), Stats("m", 1, 0, 0, 0)})).ok());
  ASSERT_TRUE(stats.Report(Report("dp-1", "i", {Stats("m", 2, 0, 0, 0)})).ok());
  auto totals = stats.Totals();
  const ModelStats* old = Find(totals, "old");
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->requests_by_code_class().at("2xx"), 4u);
}

TEST(StatsAggregatorTest, MalformedReportsAreRefused) {
  StatsAggregator stats;
  EXPECT_EQ(stats.Report(Report("", "i", {})).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(stats.Report(Report("dp", "", {})).code(), absl::StatusCode::kInvalidArgument);
  ModelStats bad = Stats("m", 1, 0, 0, 0);
  bad.mutable_duration_seconds()->add_upper_bounds(0.01);  // not increasing, and lengths differ
  EXPECT_EQ(stats.Report(Report("dp", "i", {bad})).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(stats.Totals().empty());
}

TEST(HistogramTest, SameBoundsAddBucketByBucket) {
  Histogram sum = AddHistograms(MakeHistogram({1, 2}, {1, 3}, 4, 5), MakeHistogram({1, 2}, {2, 2}, 2, 1));
  EXPECT_EQ(sum.upper_bounds_size(), 2);
  EXPECT_EQ(sum.cumulative_counts(0), 3u);
  EXPECT_EQ(sum.cumulative_counts(1), 5u);
  EXPECT_EQ(sum.count(), 6u);
  EXPECT_DOUBLE_EQ(sum.sum(), 6);
}

TEST(HistogramTest, DifferentBoundsUseTheirUnion) {
  Histogram sum = AddHistograms(MakeHistogram({1, 4}, {1, 2}, 2, 3), MakeHistogram({2}, {5}, 5, 5));
  ASSERT_EQ(sum.upper_bounds_size(), 3);
  EXPECT_EQ(sum.upper_bounds(1), 2);
  EXPECT_EQ(sum.cumulative_counts(0), 1u);  // <=1: 1 + 0
  EXPECT_EQ(sum.cumulative_counts(1), 6u);  // <=2: 1 + 5
  EXPECT_EQ(sum.cumulative_counts(2), 7u);  // <=4: 2 + 5
  EXPECT_EQ(sum.count(), 7u);
}

TEST(HistogramTest, QuantilesInterpolateWithinTheBucket) {
  // 10 observations <= 1, 10 more in (1, 2].
  Histogram h = MakeHistogram({1, 2, 4}, {10, 20, 20}, 20, 25);
  EXPECT_DOUBLE_EQ(EstimateQuantile(h, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(EstimateQuantile(h, 0.25), 0.5);
  EXPECT_DOUBLE_EQ(EstimateQuantile(h, 0.75), 1.5);
  auto summary = SummarizeLatency(h);
  EXPECT_EQ(summary.count(), 20u);
  EXPECT_DOUBLE_EQ(summary.mean_seconds(), 1.25);
  EXPECT_DOUBLE_EQ(summary.p50_seconds(), 1.0);
  EXPECT_DOUBLE_EQ(summary.p95_seconds(), 1.9);
}

TEST(HistogramTest, RankInTheInfBucketIsTheHighestBound) {
  Histogram h = MakeHistogram({1, 2}, {1, 1}, 10, 100);
  EXPECT_DOUBLE_EQ(EstimateQuantile(h, 0.95), 2);
  EXPECT_DOUBLE_EQ(EstimateQuantile(Histogram(), 0.5), 0);
}

}  // namespace
}  // namespace switchboard::controlplane
