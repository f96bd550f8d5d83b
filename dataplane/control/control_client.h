#pragma once
// Managed mode: the data plane's side of the control-plane protocol
// (proto/switchboard/controlplane/v1/discovery.proto and stats.proto).
//
// One thread keeps a config stream open: it sends the node id and the version
// it serves, builds every snapshot it receives (off the request path), swaps
// it into the SnapshotStore atomically (requests in flight keep the snapshot
// they started with) and ACKs; a snapshot that does not build is NACKed with
// the error and the running one is kept. When the stream ends (control plane
// restarted, network gone, token refused) the last good snapshot keeps
// serving and the thread opens a new stream after a capped exponential
// backoff with jitter (backoff.h), starting again from the first delay once a
// stream has delivered a config. A new stream waits for the channel to
// connect (wait_for_ready), which gRPC retries under the same policy, so the
// stream opens as soon as the control plane is reachable again.
//
// A second thread reports per-model stats every `stats_interval` (a unary
// ReportStats call), and once more on Stop.
//
// Thread-safety: Start and Stop from the owning thread; applied_version from
// any thread. The callbacks run on the client's threads. Lifetime: the store
// and everything the callbacks touch outlive the client; Stop (or the
// destructor) joins both threads.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "dataplane/control/backoff.h"
#include "dataplane/metrics/metrics.h"
#include "dataplane/routing/snapshot.h"

namespace grpc {
class Channel;
class ClientContext;
}  // namespace grpc

namespace switchboard::control {

struct ClientOptions {
  std::string target;   // control plane HOST:PORT
  std::string node_id;  // this replica's name
  std::string token;    // data-plane token; empty = none
  // TLS: a CA file turns it on (the control plane's certificate must chain to
  // it); cert + key add a client certificate.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::chrono::milliseconds stats_interval{10'000};
  BackoffPolicy backoff;
};

struct ClientCallbacks {
  // A snapshot was applied (also when a push repeated the running config
  // under a new version).
  std::function<void(const routing::Snapshot&, uint64_t version)> applied;
  // A pushed config did not build; the running snapshot stays.
  std::function<void()> rejected;
  // Cumulative per-model figures for the stats report.
  std::function<std::vector<metrics::ModelStatsData>()> stats;
};

// The data-plane token: the first line of `file` when set, else
// $SWITCHBOARD_DATAPLANE_TOKEN, else none (""). An unreadable or empty file
// is an error.
absl::StatusOr<std::string> LoadDataPlaneToken(const std::string& file);

class ControlPlaneClient {
 public:
  ControlPlaneClient(ClientOptions options, routing::SnapshotStore& store, ClientCallbacks callbacks);
  ~ControlPlaneClient();
  ControlPlaneClient(const ControlPlaneClient&) = delete;
  ControlPlaneClient& operator=(const ControlPlaneClient&) = delete;

  // Creates the channel (errors: unreadable TLS files) and starts both threads.
  absl::Status Start();
  // Sends a last stats report (1 s at most), ends the stream, joins.
  void Stop();

  // The version being served; 0 before the first snapshot.
  uint64_t applied_version() const { return applied_version_.load(); }

 private:
  // The credentials and the channel to the control plane (Start, on a lowered thread).
  absl::Status MakeChannel();
  void SubscribeLoop();
  // One stream, from connect to its end. True when it delivered a config.
  bool RunStream();
  void StatsLoop();
  void ReportStats(std::chrono::milliseconds deadline);
  // Waits `delay` or until Stop; false when stopping.
  bool Sleep(std::chrono::milliseconds delay);

  const ClientOptions options_;
  routing::SnapshotStore& store_;
  const ClientCallbacks callbacks_;
  const std::string instance_id_;  // random per process (stats.proto)
  std::shared_ptr<grpc::Channel> channel_;
  std::atomic<uint64_t> applied_version_{0};
  bool quiet_ = false;  // subscriber thread only: an outage was logged already

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::shared_ptr<grpc::ClientContext> stream_context_;  // the open stream, to cancel it
  std::thread subscriber_;
  std::thread reporter_;
};

}  // namespace switchboard::control
