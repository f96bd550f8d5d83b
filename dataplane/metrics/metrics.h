#pragma once
// The data plane's metrics: every series of the process declared together, in
// one place (metrics.cc), built once. Served as Prometheus text on the admin
// port's /metrics, and summarised per routed model for the control plane's
// cluster view (ModelStats()).
//
// Label values come only from config names and small fixed sets, never from
// what a client sends: a requested model that the snapshot does not define is
// counted as kUnknownModel.
//
// Thread-safety: every method may be called from any thread. The request-path
// methods (RequestStarted .. RequestFinished) look a model's series up once per
// request under a short lock and then update atomics.
//
// Lifetime: one object per process, created in main before the servers and
// destroyed after them.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::routing {
class Snapshot;
}

namespace switchboard::metrics {

inline constexpr std::string_view kUnknownModel = "(unknown)";

// How one upstream attempt ended.
enum class AttemptOutcome {
  kOk,               // a 2xx answer
  kErrorStatus,      // the upstream answered with a non-2xx status
  kTimeout,          // connect, first-byte or idle timeout
  kConnectFailure,   // resolve, connect or TLS handshake failed
  kBrokenResponse,   // reset, malformed or oversized response
  kClientDisconnect  // the client left; the attempt was cancelled
};
std::string_view AttemptOutcomeName(AttemptOutcome outcome);

// A cumulative histogram, as Prometheus keeps it: counts[i] is the number of
// observations <= upper_bounds[i]; count and sum cover every observation.
struct HistogramData {
  std::vector<double> upper_bounds;
  std::vector<uint64_t> cumulative_counts;
  uint64_t count = 0;
  double sum = 0;
};

// Cumulative figures of one routed model since this process started.
struct ModelStatsData {
  std::string model;                                      // routed model (config name)
  std::map<std::string, uint64_t> requests_by_code_class;  // "2xx", "4xx", "5xx"
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  HistogramData duration_seconds;
  HistogramData time_to_first_token_seconds;
};

// What the chat handler knows when a request ends.
struct RequestRecord {
  std::string requested_model;  // a config name; the caller maps anything else to kUnknownModel
  std::string routed_model;     // concrete model provider; empty when the request was not routed
  std::string provider_type;    // "genericoai", "gemini", ...; empty when routing failed
  std::string client_profile;   // profile name, "default" for /v1
  int status = 0;               // HTTP status the client got (200 for a stream that started)
  std::chrono::duration<double> duration{};
  std::optional<std::chrono::duration<double>> time_to_first_token;
  std::optional<uint64_t> prompt_tokens;
  std::optional<uint64_t> completion_tokens;
};

class DataPlaneMetrics {
 public:
  DataPlaneMetrics();
  ~DataPlaneMetrics();
  DataPlaneMetrics(const DataPlaneMetrics&) = delete;
  DataPlaneMetrics& operator=(const DataPlaneMetrics&) = delete;

  // Request path.
  void RequestStarted(bool stream);
  void RequestFinished(const RequestRecord& record, bool stream);
  void UpstreamAttempt(std::string_view routed_model, AttemptOutcome outcome);

  // Config: a snapshot was applied (version: the control plane's, or a local
  // reload counter in standalone mode), or an update was rejected.
  void ConfigApplied(const routing::Snapshot& snapshot, uint64_t version);
  void ConfigRejected();

  // The Prometheus text exposition format (version 0.0.4).
  std::string Serialize() const;

  // Per routed model, for the control plane's stats reports.
  std::vector<ModelStatsData> ModelStats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::metrics
