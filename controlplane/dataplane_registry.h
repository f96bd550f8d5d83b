#pragma once
// What the control plane knows about data planes: one record per node id
// (kept after it disconnects), and the open streams that receive pushes.
//
// Connect and Broadcast run under one lock, and the registry remembers the
// latest version itself, so a stream that connects while a version is being
// published gets either that version at once or the broadcast of it — never a
// stale one.
//
// Thread-safety: every method may be called from any thread. Lifetime: one
// per process; outlives the gRPC server (streams unregister in OnDone).

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "controlplane/config_sink.h"
#include "controlplane/counters.h"
#include "controlplane/version.h"

namespace switchboard::controlplane {

struct DataPlaneStatus {
  using Time = std::chrono::system_clock::time_point;
  std::string node_id;
  std::string peer;
  int streams = 0;  // open streams with this node id (normally 0 or 1)
  Time connected_since{};
  Time disconnected_at{};
  uint64_t applied_version = 0;
  uint64_t sent_version = 0;
  uint64_t rejected_version = 0;  // 0 when its last answer was an ACK
  int32_t error_code = 0;
  std::string error_message;
  Time error_time{};
  Time last_stats_report{};
};

class DataPlaneRegistry {
 public:
  DataPlaneRegistry(Counters& counters, VersionPtr current);

  // A stream of `node_id` opened; the latest version is pushed to it at once.
  void Connect(ConfigSink* sink, const std::string& node_id, const std::string& peer, uint64_t reported_version);
  // The stream is gone; no Push reaches it after this returns.
  void Disconnect(ConfigSink* sink);

  // Sends `version` to every open stream and remembers it as the latest.
  void Broadcast(const VersionPtr& version);
  VersionPtr Latest() const;
  // Ends every open stream (shutdown); they unregister as they finish.
  void CloseAll();

  // Events reported by streams.
  void RecordSent(const std::string& node_id, uint64_t version);
  void RecordAck(const std::string& node_id, uint64_t version);
  void RecordNack(const std::string& node_id, uint64_t kept_version, uint64_t rejected_version, int32_t code,
                  const std::string& message);
  void RecordStatsReport(const std::string& node_id);

  // Sorted by node id.
  std::vector<DataPlaneStatus> List() const;
  int connected() const;

 private:
  Counters& counters_;
  mutable std::mutex mu_;
  VersionPtr latest_;
  std::map<ConfigSink*, std::string> sinks_;  // open stream -> node id
  std::map<std::string, DataPlaneStatus> nodes_;
};

}  // namespace switchboard::controlplane
