#pragma once
// The data plane's HTTP servers: the OpenAI-compatible API and the admin port
// (/healthz, /readyz, /metrics). One io_context per thread (the number of cores); a
// connection lives on one thread for its whole life, with its upstream
// connection pool, so the request path takes no locks.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "dataplane/metrics/metrics.h"
#include "dataplane/routing/snapshot.h"

namespace switchboard::server {

struct ServerOptions {
  std::string api_listen = "127.0.0.1:3000";    // host:port; port 0 = ephemeral
  std::string admin_listen = "127.0.0.1:9901";
  int threads = 0;                               // 0 = number of cores
};

class Server {
 public:
  // `store` and `metrics` outlive the server. Until `store` holds a snapshot
  // (managed mode, before the first config) the API answers 503 and /readyz
  // is not ready.
  Server(ServerOptions options, routing::SnapshotStore& store, metrics::DataPlaneMetrics& metrics);
  ~Server();

  // Binds both listeners and makes the signal set (everything that needs a
  // file descriptor before requests come); the error names the address that
  // failed.
  absl::Status Bind();
  // "host:port" actually bound (after Bind).
  std::string api_address() const;
  std::string admin_address() const;

  // Serves until SIGTERM/SIGINT or Shutdown(), then drains: stops accepting,
  // closes idle connections, lets in-flight requests finish for up to the
  // snapshot's shutdown grace period. Returns when done. After a successful
  // Bind only.
  void Run();
  // Starts the drain. Thread-safe.
  void Shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchboard::server
