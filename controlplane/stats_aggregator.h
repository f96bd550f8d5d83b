#pragma once
// The cluster view of per-model stats: the sum, per routed model, of the
// latest report of every data-plane process (stats.proto explains the
// reporting). A process that restarted under the same node id (new
// instance_id) has its old figures folded into a retired sum, so totals never
// go down; later reports from a replaced instance are refused.
//
// Histograms from different processes are summed bucket by bucket; when their
// bounds differ (different builds), the union of bounds is used and each
// histogram is read as a step function (its count at the largest own bound at
// or below).
//
// Thread-safety: every method may be called from any thread.

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "switchboard/controlplane/v1/stats.pb.h"

namespace switchboard::controlplane {

using controlplane::v1::Histogram;
using controlplane::v1::ModelStats;

// a + b (see above for differing bounds).
Histogram AddHistograms(const Histogram& a, const Histogram& b);
// The q-quantile (0 < q < 1) as Prometheus's histogram_quantile estimates it:
// linear interpolation inside the bucket holding the rank, 0 as the first
// bucket's lower edge, the highest bound when the rank is in +Inf; 0 for an
// empty histogram.
double EstimateQuantile(const Histogram& histogram, double q);
// a + b, model names assumed equal.
void AddModelStats(ModelStats& into, const ModelStats& add);
controlplane::v1::LatencySummary SummarizeLatency(const Histogram& histogram);

class StatsAggregator {
 public:
  // INVALID_ARGUMENT for a malformed report (no node or instance id, bucket
  // lists of different lengths, bounds not increasing, too many models);
  // FAILED_PRECONDITION for an instance already replaced by a newer one of
  // the same node id.
  absl::Status Report(const controlplane::v1::StatsReport& report);

  // Sorted by model name.
  std::vector<ModelStats> Totals() const;
  // Processes whose figures are in the totals (current and retired).
  size_t processes() const;

 private:
  struct Instance {
    std::string node_id;
    std::map<std::string, ModelStats> models;
  };

  mutable std::mutex mu_;
  std::map<std::string, ModelStats> retired_;           // model -> folded figures
  std::map<std::string, Instance> live_;                // instance id -> latest report
  std::map<std::string, std::string> node_instance_;    // node id -> its current instance
  std::set<std::string> replaced_;                      // instance ids folded into retired_
};

}  // namespace switchboard::controlplane
