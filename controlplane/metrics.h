#pragma once
// The control plane's /metrics: its own series (switchboard_controlplane_*)
// and the cluster view of the data planes' reports (switchboard_cluster_*),
// all declared together in metrics.cc and built at scrape time from the
// registry, the counters, the stats aggregator and the config manager — so
// every figure on /metrics is the same one the admin API shows.
//
// Label values: node ids (from the data planes' flags) and routed model names
// (config names the data planes report) — never anything a client of the data
// planes sends.
//
// Thread-safety: Serialize may be called from any thread. Every reference
// outlives this object.

#include <string>

#include "controlplane/config_manager.h"
#include "controlplane/counters.h"
#include "controlplane/dataplane_registry.h"
#include "controlplane/stats_aggregator.h"

namespace switchboard::controlplane {

class ControlPlaneMetrics {
 public:
  ControlPlaneMetrics(const ConfigManager& configs, const DataPlaneRegistry& registry, const StatsAggregator& stats,
                      const Counters& counters)
      : configs_(configs), registry_(registry), stats_(stats), counters_(counters) {}

  // The Prometheus text exposition format (version 0.0.4).
  std::string Serialize() const;

 private:
  const ConfigManager& configs_;
  const DataPlaneRegistry& registry_;
  const StatsAggregator& stats_;
  const Counters& counters_;
};

}  // namespace switchboard::controlplane
