#pragma once
// The data plane's per-model figures as a StatsReport (stats.proto). Pure.

#include <string>
#include <vector>

#include "dataplane/metrics/metrics.h"
#include "switchboard/controlplane/v1/stats.pb.h"

namespace switchboard::control {

controlplane::v1::StatsReport MakeStatsReport(const std::string& node_id, const std::string& instance_id,
                                              const std::vector<metrics::ModelStatsData>& models);

}  // namespace switchboard::control
