// switchboard-controlplane: the source of truth of a Switchboard cluster.

#include <signal.h>

#include <cstdio>
#include <string>

#include "common/flags.h"
#include "common/log.h"
#include "controlplane/app.h"

namespace {

using switchboard::controlplane::Options;

constexpr const char* kUsage = R"(usage: switchboard-controlplane --config FILE --state-dir DIR [options]

Holds the config of a Switchboard cluster, accepts changes over gRPC (admin
API: grpcurl-ready, with server reflection), validates each with the data
plane's own code, keeps every accepted version in DIR, and pushes each new
version at once to every data plane started with --control-plane.

On first start FILE becomes version 1; after that DIR wins (a restart keeps
every live change) unless --reset-from-config is given.

options:
  --config FILE              initial config (FireRouter's config.yaml format, YAML or JSON)
  --state-dir DIR            where accepted versions are kept (created if missing)
  --listen HOST:PORT         gRPC address (default 127.0.0.1:50051)
  --metrics-listen HOST:PORT /metrics and /healthz (default 127.0.0.1:9902)
  --admin-token-file F       admin token (else $SWITCHBOARD_ADMIN_TOKEN)
  --dataplane-token-file F   data-plane token (else $SWITCHBOARD_DATAPLANE_TOKEN)
  --reset-from-config        make FILE the current config (a new version) at start
  --tls-cert F --tls-key F   serve gRPC over TLS with this certificate and key
  --tls-client-ca F          data planes must present a client certificate signed by F
  --log-level LEVEL          debug, info, warn or error (default info)
  --help                     this text

Without tokens, admin and data-plane calls are open: allowed on a loopback
address only. Port 0 picks a free port; the "ready" log line on stderr names
the addresses.
)";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "switchboard-controlplane: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

// Returns -1 to continue, or an exit code.
int ParseFlags(int argc, char** argv, Options& options, std::string& log_level) {
  switchboard::flags::Reader reader(argc, argv);
  while (reader.Next()) {
    const std::string& arg = reader.arg();
    auto next = [&](std::string& out) { return reader.Value(out); };
    struct Valued {
      const char* flag;
      std::string* target;
      const char* needs;
    };
    const Valued valued[] = {
        {"--config", &options.config_file, "a file"},
        {"--state-dir", &options.state_dir, "a directory"},
        {"--listen", &options.listen, "HOST:PORT"},
        {"--metrics-listen", &options.metrics_listen, "HOST:PORT"},
        {"--admin-token-file", &options.admin_token_file, "a file"},
        {"--dataplane-token-file", &options.dataplane_token_file, "a file"},
        {"--tls-cert", &options.tls_cert_file, "a file"},
        {"--tls-key", &options.tls_key_file, "a file"},
        {"--tls-client-ca", &options.tls_client_ca_file, "a file"},
        {"--log-level", &log_level, "a level"},
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--reset-from-config") {
      options.reset_from_config = true;
      continue;
    }
    bool known = false;
    for (const auto& flag : valued) {
      if (arg != flag.flag) continue;
      known = true;
      if (!next(*flag.target)) return UsageError(arg + " needs " + flag.needs);
    }
    if (!known) return UsageError("unknown argument '" + arg + "'");
  }
  if (options.config_file.empty()) return UsageError("--config FILE is required");
  if (options.state_dir.empty()) return UsageError("--state-dir DIR is required");
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  // Blocked in every thread (gRPC's included); Run waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Options options;
  std::string log_level = "info";
  if (int code = ParseFlags(argc, argv, options, log_level); code >= 0) return code;
  if (!switchboard::flags::SetLogLevel(log_level)) {
    return UsageError("--log-level must be debug, info, warn or error");
  }
  // gRPC's threads hand their log lines over and never wait for stderr (a
  // stalled log collector would otherwise hold config pushes and SetWeights).
  switchboard::log::BackgroundWriter log_writer;
  return switchboard::controlplane::Run(options);
}
