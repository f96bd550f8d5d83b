#include "controlplane/metrics.h"

#include <limits>
#include <vector>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

namespace switchboard::controlplane {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

void AddValue(MetricFamily& family, Labels labels, double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  if (family.type == MetricType::Counter) metric.counter.value = value;
  else metric.gauge.value = value;
  family.metric.push_back(std::move(metric));
}

void AddHistogram(MetricFamily& family, Labels labels, const Histogram& h) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.histogram.sample_count = h.count();
  metric.histogram.sample_sum = h.sum();
  for (int i = 0; i < h.upper_bounds_size(); ++i) {
    metric.histogram.bucket.push_back({h.cumulative_counts(i), h.upper_bounds(i)});
  }
  metric.histogram.bucket.push_back({h.count(), std::numeric_limits<double>::infinity()});
  family.metric.push_back(std::move(metric));
}

double Load(const std::atomic<uint64_t>& value) { return static_cast<double>(value.load(std::memory_order_relaxed)); }

}  // namespace

std::string ControlPlaneMetrics::Serialize() const {
  std::vector<MetricFamily> families;

  // The control plane itself.
  auto connected = Family("switchboard_controlplane_connected_dataplanes",
                          "Data planes with an open config stream", MetricType::Gauge);
  AddValue(connected, {}, registry_.connected());
  families.push_back(std::move(connected));

  auto version = Family("switchboard_controlplane_config_version", "Current config version", MetricType::Gauge);
  AddValue(version, {}, static_cast<double>(configs_.Current()->version));
  families.push_back(std::move(version));

  auto pushes = Family("switchboard_controlplane_pushes_total", "Config versions written to data planes",
                       MetricType::Counter);
  AddValue(pushes, {}, Load(counters_.pushes));
  families.push_back(std::move(pushes));

  auto acks = Family("switchboard_controlplane_acks_total", "Config versions data planes applied (ACK)",
                     MetricType::Counter);
  AddValue(acks, {}, Load(counters_.acks));
  families.push_back(std::move(acks));

  auto nacks = Family("switchboard_controlplane_nacks_total", "Config versions data planes rejected (NACK)",
                      MetricType::Counter);
  AddValue(nacks, {}, Load(counters_.nacks));
  families.push_back(std::move(nacks));

  auto changes = Family("switchboard_controlplane_config_changes_total",
                        "Admin config changes by result (accepted, rejected)", MetricType::Counter);
  AddValue(changes, {{"result", "accepted"}}, Load(counters_.changes_accepted));
  AddValue(changes, {{"result", "rejected"}}, Load(counters_.changes_rejected));
  families.push_back(std::move(changes));

  auto reports = Family("switchboard_controlplane_stats_reports_total", "Stats reports received from data planes",
                        MetricType::Counter);
  AddValue(reports, {}, Load(counters_.stats_reports));
  families.push_back(std::move(reports));

  auto unauthenticated = Family("switchboard_controlplane_unauthenticated_requests_total",
                                "Calls refused for a missing or wrong token", MetricType::Counter);
  AddValue(unauthenticated, {}, Load(counters_.unauthenticated));
  families.push_back(std::move(unauthenticated));

  auto applied = Family("switchboard_controlplane_dataplane_applied_version",
                        "Config version each data plane serves", MetricType::Gauge);
  auto up = Family("switchboard_controlplane_dataplane_connected",
                   "1 while the data plane has an open config stream", MetricType::Gauge);
  for (const auto& node : registry_.List()) {
    AddValue(applied, {{"node_id", node.node_id}}, static_cast<double>(node.applied_version));
    AddValue(up, {{"node_id", node.node_id}}, node.streams > 0 ? 1 : 0);
  }
  families.push_back(std::move(applied));
  families.push_back(std::move(up));

  // The cluster view: the sum of the data planes' latest reports.
  auto processes = Family("switchboard_cluster_reporting_processes",
                          "Data-plane processes whose reports are in the cluster sums", MetricType::Gauge);
  AddValue(processes, {}, static_cast<double>(stats_.processes()));
  families.push_back(std::move(processes));

  auto requests = Family("switchboard_cluster_requests_total",
                         "Chat completion requests over all data planes, by routed model and status code class",
                         MetricType::Counter);
  auto tokens = Family("switchboard_cluster_tokens_total",
                       "Tokens over all data planes, by routed model and direction (prompt, completion)",
                       MetricType::Counter);
  auto duration = Family("switchboard_cluster_request_duration_seconds",
                         "Request duration over all data planes, per routed model", MetricType::Histogram);
  auto first_token = Family("switchboard_cluster_time_to_first_token_seconds",
                            "Time to first token over all data planes, per routed model", MetricType::Histogram);
  for (const auto& model : stats_.Totals()) {
    for (const auto& [code_class, count] : model.requests_by_code_class()) {
      AddValue(requests, {{"code_class", code_class}, {"routed_model", model.model()}}, static_cast<double>(count));
    }
    AddValue(tokens, {{"direction", "prompt"}, {"routed_model", model.model()}},
             static_cast<double>(model.prompt_tokens()));
    AddValue(tokens, {{"direction", "completion"}, {"routed_model", model.model()}},
             static_cast<double>(model.completion_tokens()));
    AddHistogram(duration, {{"routed_model", model.model()}}, model.duration_seconds());
    AddHistogram(first_token, {{"routed_model", model.model()}}, model.time_to_first_token_seconds());
  }
  families.push_back(std::move(requests));
  families.push_back(std::move(tokens));
  families.push_back(std::move(duration));
  families.push_back(std::move(first_token));

  // A family without samples says nothing; leave it out.
  std::erase_if(families, [](const MetricFamily& family) { return family.metric.empty(); });
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace switchboard::controlplane
