#pragma once
// The control plane and managed data planes as child processes, started as
// the scripts start them (see DEVELOPERS.md and README "Control plane and
// live weights"), ready once they log their "ready" line.
//
// Threading and lifetime as ChildProcess (process.h).

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/harness/process.h"

namespace switchboard::testing {

// `switchboard-controlplane --config FILE --state-dir DIR --listen L
// --metrics-listen M` plus `extra_args`; L and M default to 127.0.0.1:0.
class ControlPlaneProcess : public ChildProcess {
 public:
  struct Options {
    std::string listen = "127.0.0.1:0";
    std::string metrics_listen = "127.0.0.1:0";
    std::vector<std::string> extra_args;
    EnvVars env;
  };
  ControlPlaneProcess(const std::string& binary, const std::string& config_file, const std::string& state_dir,
                      const Options& options);

  // True once {"msg":"ready","grpc":..,"metrics":..} has been logged; fills
  // grpc() and metrics(). False when the process exits or `timeout` passes.
  bool WaitReady(std::chrono::milliseconds timeout);
  const std::string& grpc() const { return grpc_; }        // "127.0.0.1:PORT"
  const std::string& metrics() const { return metrics_; }  // "127.0.0.1:PORT"
  // The "version" field of the ready line.
  uint64_t ready_version() const { return ready_version_; }

 private:
  std::string grpc_;
  std::string metrics_;
  uint64_t ready_version_ = 0;
};

// `switchboard-dataplane --control-plane ADDR --node-id ID --listen
// 127.0.0.1:0 --admin-listen 127.0.0.1:0 --stats-interval 0.2` plus
// `extra_args`. Ready (listening) does not mean configured: /readyz says that.
class ManagedDataPlaneProcess : public ChildProcess {
 public:
  ManagedDataPlaneProcess(const std::string& binary, const std::string& control_plane, const std::string& node_id,
                          const std::vector<std::string>& extra_args = {}, const EnvVars& env = {});

  bool WaitReady(std::chrono::milliseconds timeout);
  const std::string& api() const { return api_; }
  const std::string& admin() const { return admin_; }
  const std::string& node_id() const { return node_id_; }

 private:
  std::string node_id_;
  std::string api_;
  std::string admin_;
};

}  // namespace switchboard::testing
