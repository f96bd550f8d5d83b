#pragma once
// The control-plane process, assembled: tokens, state, the gRPC server
// (admin, discovery, stats, health, reflection) and the metrics server. main
// parses flags into Options and calls Run.

#include <string>

namespace switchboard::controlplane {

struct Options {
  std::string config_file;
  std::string state_dir;
  std::string listen = "127.0.0.1:50051";
  std::string metrics_listen = "127.0.0.1:9902";
  std::string admin_token_file;      // else SWITCHBOARD_ADMIN_TOKEN
  std::string dataplane_token_file;  // else SWITCHBOARD_DATAPLANE_TOKEN
  bool reset_from_config = false;
  // TLS (all optional): server certificate and key; with a client CA, data
  // planes must present a certificate it signed.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
};

// Serves until SIGTERM or SIGINT. Returns the process exit status: 0 after a
// signal, 2 for a config or flag problem, 1 when a listener cannot bind.
// SIGTERM and SIGINT must be blocked in every thread before the call (main
// does it first thing), so that Run can wait for them.
int Run(const Options& options);

}  // namespace switchboard::controlplane
