#pragma once
// A small HTTP/1.1 server for the control plane's --metrics-listen address:
// GET /metrics (Prometheus text), /healthz. One thread, one coroutine per
// connection, a timeout on every read and write, request bodies refused.
//
// Thread-safety: Bind, then Start (spawns the thread); Stop from any thread
// (also run by the destructor). `render` is called on the server's thread.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"

namespace switchboard::controlplane {

class MetricsServer {
 public:
  explicit MetricsServer(std::function<std::string()> render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // "HOST:PORT" (port 0 = ephemeral). UNAVAILABLE naming the address on failure.
  absl::Status Bind(const std::string& listen);
  std::string address() const;  // bound "host:port"
  void Start();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::controlplane
