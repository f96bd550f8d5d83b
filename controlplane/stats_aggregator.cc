#include "controlplane/stats_aggregator.h"

#include <algorithm>
#include <cmath>

#include "common/log.h"

namespace switchboard::controlplane {
namespace {

constexpr int kMaxModelsPerReport = 10'000;
constexpr int kMaxBuckets = 200;

// The cumulative count of `h` at `bound`: its count at the largest own bound
// <= `bound`.
uint64_t CountAt(const Histogram& h, double bound) {
  uint64_t count = 0;
  for (int i = 0; i < h.upper_bounds_size() && h.upper_bounds(i) <= bound; ++i) count = h.cumulative_counts(i);
  return count;
}

absl::Status CheckHistogram(const Histogram& h, const std::string& path) {
  if (h.upper_bounds_size() != h.cumulative_counts_size()) {
    return absl::InvalidArgumentError(path + ": upper_bounds and cumulative_counts differ in length");
  }
  if (h.upper_bounds_size() > kMaxBuckets) return absl::InvalidArgumentError(path + ": too many buckets");
  for (int i = 0; i < h.upper_bounds_size(); ++i) {
    if (!std::isfinite(h.upper_bounds(i)) || (i > 0 && h.upper_bounds(i) <= h.upper_bounds(i - 1))) {
      return absl::InvalidArgumentError(path + ": upper_bounds must be finite and increasing");
    }
  }
  return absl::OkStatus();
}

}  // namespace

Histogram AddHistograms(const Histogram& a, const Histogram& b) {
  Histogram out;
  bool same = a.upper_bounds_size() == b.upper_bounds_size() &&
              std::equal(a.upper_bounds().begin(), a.upper_bounds().end(), b.upper_bounds().begin());
  if (same) {
    out.mutable_upper_bounds()->CopyFrom(a.upper_bounds());
    for (int i = 0; i < a.cumulative_counts_size(); ++i) {
      out.add_cumulative_counts(a.cumulative_counts(i) + b.cumulative_counts(i));
    }
  } else {
    std::vector<double> bounds(a.upper_bounds().begin(), a.upper_bounds().end());
    bounds.insert(bounds.end(), b.upper_bounds().begin(), b.upper_bounds().end());
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    for (double bound : bounds) {
      out.add_upper_bounds(bound);
      out.add_cumulative_counts(CountAt(a, bound) + CountAt(b, bound));
    }
  }
  out.set_count(a.count() + b.count());
  out.set_sum(a.sum() + b.sum());
  return out;
}

double EstimateQuantile(const Histogram& h, double q) {
  if (h.count() == 0) return 0;
  double rank = q * static_cast<double>(h.count());
  double lower_bound = 0;
  uint64_t lower_count = 0;
  for (int i = 0; i < h.upper_bounds_size(); ++i) {
    uint64_t count = h.cumulative_counts(i);
    if (static_cast<double>(count) >= rank) {
      double in_bucket = static_cast<double>(count - lower_count);
      if (in_bucket <= 0) return h.upper_bounds(i);
      return lower_bound + (h.upper_bounds(i) - lower_bound) * (rank - static_cast<double>(lower_count)) / in_bucket;
    }
    lower_bound = h.upper_bounds(i);
    lower_count = count;
  }
  // In the +Inf bucket: the highest finite bound is the best estimate.
  return h.upper_bounds_size() > 0 ? h.upper_bounds(h.upper_bounds_size() - 1) : 0;
}

void AddModelStats(ModelStats& into, const ModelStats& add) {
  for (const auto& [code_class, count] : add.requests_by_code_class()) {
    (*into.mutable_requests_by_code_class())[code_class] += count;
  }
  into.set_prompt_tokens(into.prompt_tokens() + add.prompt_tokens());
  into.set_completion_tokens(into.completion_tokens() + add.completion_tokens());
  *into.mutable_duration_seconds() = AddHistograms(into.duration_seconds(), add.duration_seconds());
  *into.mutable_time_to_first_token_seconds() =
      AddHistograms(into.time_to_first_token_seconds(), add.time_to_first_token_seconds());
}

controlplane::v1::LatencySummary SummarizeLatency(const Histogram& h) {
  controlplane::v1::LatencySummary out;
  out.set_count(h.count());
  if (h.count() == 0) return out;
  out.set_mean_seconds(h.sum() / static_cast<double>(h.count()));
  out.set_p50_seconds(EstimateQuantile(h, 0.5));
  out.set_p95_seconds(EstimateQuantile(h, 0.95));
  return out;
}

absl::Status StatsAggregator::Report(const controlplane::v1::StatsReport& report) {
  if (report.node_id().empty() || report.instance_id().empty()) {
    return absl::InvalidArgumentError("node_id and instance_id are required");
  }
  if (report.models_size() > kMaxModelsPerReport) return absl::InvalidArgumentError("too many models");
  std::map<std::string, ModelStats> models;
  for (const auto& model : report.models()) {
    if (model.model().empty()) return absl::InvalidArgumentError("models[].model is required");
    if (absl::Status s = CheckHistogram(model.duration_seconds(), model.model() + ".duration_seconds"); !s.ok()) return s;
    if (absl::Status s = CheckHistogram(model.time_to_first_token_seconds(), model.model() + ".time_to_first_token_seconds");
        !s.ok()) {
      return s;
    }
    models[model.model()] = model;
  }

  std::lock_guard<std::mutex> lock(mu_);
  if (replaced_.count(report.instance_id()) > 0) {
    return absl::FailedPreconditionError("instance " + report.instance_id() + " of node " + report.node_id() +
                                         " was replaced by a newer process with the same node id");
  }
  auto current = node_instance_.find(report.node_id());
  if (current != node_instance_.end() && current->second != report.instance_id()) {
    // The node restarted: its old process's figures stay in the totals.
    auto old = live_.find(current->second);
    if (old != live_.end()) {
      for (const auto& [name, stats] : old->second.models) {
        ModelStats& retired = retired_[name];
        retired.set_model(name);
        AddModelStats(retired, stats);
      }
      live_.erase(old);
    }
    replaced_.insert(current->second);
    log::Info("data-plane process replaced; its figures are kept in the cluster totals",
              {{"node_id", report.node_id()}, {"instance_id", report.instance_id()}});
  }
  node_instance_[report.node_id()] = report.instance_id();
  Instance& instance = live_[report.instance_id()];
  instance.node_id = report.node_id();
  // A model missing from this report keeps its last figures.
  for (auto& [name, stats] : models) instance.models[name] = std::move(stats);
  return absl::OkStatus();
}

std::vector<ModelStats> StatsAggregator::Totals() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, ModelStats> sums = retired_;
  for (const auto& [id, instance] : live_) {
    for (const auto& [name, stats] : instance.models) {
      ModelStats& sum = sums[name];
      sum.set_model(name);
      AddModelStats(sum, stats);
    }
  }
  std::vector<ModelStats> out;
  for (auto& [name, stats] : sums) out.push_back(std::move(stats));
  return out;
}

size_t StatsAggregator::processes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_.size() + replaced_.size();
}

}  // namespace switchboard::controlplane
