#include "dataplane/control/stats_report.h"

namespace switchboard::control {
namespace {

void Fill(const metrics::HistogramData& from, controlplane::v1::Histogram* to) {
  for (double bound : from.upper_bounds) to->add_upper_bounds(bound);
  for (uint64_t count : from.cumulative_counts) to->add_cumulative_counts(count);
  to->set_count(from.count);
  to->set_sum(from.sum);
}

}  // namespace

controlplane::v1::StatsReport MakeStatsReport(const std::string& node_id, const std::string& instance_id,
                                              const std::vector<metrics::ModelStatsData>& models) {
  controlplane::v1::StatsReport report;
  report.set_node_id(node_id);
  report.set_instance_id(instance_id);
  for (const auto& data : models) {
    auto* model = report.add_models();
    model->set_model(data.model);
    for (const auto& [code_class, count] : data.requests_by_code_class) {
      (*model->mutable_requests_by_code_class())[code_class] = count;
    }
    model->set_prompt_tokens(data.prompt_tokens);
    model->set_completion_tokens(data.completion_tokens);
    Fill(data.duration_seconds, model->mutable_duration_seconds());
    Fill(data.time_to_first_token_seconds, model->mutable_time_to_first_token_seconds());
  }
  return report;
}

}  // namespace switchboard::control
