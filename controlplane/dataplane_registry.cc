#include "controlplane/dataplane_registry.h"

#include "common/log.h"

namespace switchboard::controlplane {

DataPlaneRegistry::DataPlaneRegistry(Counters& counters, VersionPtr current)
    : counters_(counters), latest_(std::move(current)) {}

void DataPlaneRegistry::Connect(ConfigSink* sink, const std::string& node_id, const std::string& peer,
                                uint64_t reported_version) {
  std::lock_guard<std::mutex> lock(mu_);
  sinks_[sink] = node_id;
  DataPlaneStatus& node = nodes_[node_id];
  node.node_id = node_id;
  node.peer = peer;
  ++node.streams;
  node.connected_since = std::chrono::system_clock::now();
  node.applied_version = reported_version;
  sink->Push(latest_);
}

void DataPlaneRegistry::Disconnect(ConfigSink* sink) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sinks_.find(sink);
  if (it == sinks_.end()) return;
  DataPlaneStatus& node = nodes_[it->second];
  if (--node.streams == 0) node.disconnected_at = std::chrono::system_clock::now();
  sinks_.erase(it);
}

void DataPlaneRegistry::Broadcast(const VersionPtr& version) {
  std::lock_guard<std::mutex> lock(mu_);
  latest_ = version;
  for (const auto& [sink, node_id] : sinks_) sink->Push(version);
}

void DataPlaneRegistry::CloseAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [sink, node_id] : sinks_) sink->Close();
}

VersionPtr DataPlaneRegistry::Latest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return latest_;
}

void DataPlaneRegistry::RecordSent(const std::string& node_id, uint64_t version) {
  counters_.pushes.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  nodes_[node_id].sent_version = version;
}

void DataPlaneRegistry::RecordAck(const std::string& node_id, uint64_t version) {
  counters_.acks.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  DataPlaneStatus& node = nodes_[node_id];
  node.applied_version = version;
  node.rejected_version = 0;
  node.error_code = 0;
  node.error_message.clear();
}

void DataPlaneRegistry::RecordNack(const std::string& node_id, uint64_t kept_version, uint64_t rejected_version,
                                   int32_t code, const std::string& message) {
  counters_.nacks.fetch_add(1, std::memory_order_relaxed);
  log::Warn("data plane rejected a config version", {{"node_id", node_id},
                                                     {"rejected_version", rejected_version},
                                                     {"kept_version", kept_version},
                                                     {"error", message}});
  std::lock_guard<std::mutex> lock(mu_);
  DataPlaneStatus& node = nodes_[node_id];
  node.applied_version = kept_version;
  node.rejected_version = rejected_version;
  node.error_code = code;
  node.error_message = message;
  node.error_time = std::chrono::system_clock::now();
}

void DataPlaneRegistry::RecordStatsReport(const std::string& node_id) {
  counters_.stats_reports.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  DataPlaneStatus& node = nodes_[node_id];
  node.node_id = node_id;
  node.last_stats_report = std::chrono::system_clock::now();
}

std::vector<DataPlaneStatus> DataPlaneRegistry::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DataPlaneStatus> out;
  for (const auto& [node_id, status] : nodes_) out.push_back(status);
  return out;
}

int DataPlaneRegistry::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (const auto& [node_id, status] : nodes_) n += status.streams > 0 ? 1 : 0;
  return n;
}

}  // namespace switchboard::controlplane

