// switchboard-dataplane: the OpenAI-compatible router.

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "common/config/load.h"
#include "common/flags.h"
#include "common/log.h"
#include "dataplane/control/control_client.h"
#include "dataplane/routing/snapshot.h"
#include "dataplane/server/server.h"
#include "dataplane/source/config_source.h"

#ifdef SWITCHBOARD_WITH_MIMALLOC
#include <mimalloc.h>
#endif

namespace {

using namespace switchboard;

// The malloc this process got: "mimalloc" when the build links it and the
// dynamic linker bound malloc to it (a block from calloc lies in mimalloc's
// heap), else "system" (libc's, or one LD_PRELOAD put in). The ready log line
// names it.
std::string AllocatorName() {
#ifdef SWITCHBOARD_WITH_MIMALLOC
  void* probe = std::calloc(1, 64);  // calloc: GCC takes a malloc'd block passed on unread for a use of it
  bool mimalloc = mi_is_in_heap_region(probe);
  std::free(probe);
  if (mimalloc) return "mimalloc";
#endif
  return "system";
}

constexpr const char* kUsage = R"(usage: switchboard-dataplane --config FILE [options]
       switchboard-dataplane --config-url URL [options]
       switchboard-dataplane --control-plane HOST:PORT [options]

Serves an OpenAI-compatible API (/v1/models, /v1/chat/completions) that routes
each request to the upstream models in FILE (FireRouter's config.yaml format,
YAML or JSON; FunTimeRouter's providers.json works too; either may be sealed
with switchboard-config encrypt). The file is reloaded when it changes; a
reload that fails keeps the running config.

With --config-url (or CONFIG_URL in the environment, FunTimeRouter's name) the
config is fetched over HTTPS (verified against the system CA store, or
SSL_CERT_FILE), and refetched every --config-refetch seconds when given; a
refetch that fails or does not decrypt keeps the running config. A sealed
config's password comes from --config-password-file, SWITCHBOARD_CONFIG_PASSWORD
or CONFIG_PASSWORD; a wrong one is a config error (exit status 2).

With --control-plane the config comes from switchboard-controlplane instead:
every accepted change arrives at once; /readyz and the API answer 503 until the
first config is applied; when the control plane is away the last good config
keeps serving while the data plane reconnects.

options:
  --config FILE            config file (YAML or JSON, providers.json; plain or sealed)
  --config-url URL         fetch the config from URL: https://, or http:// to localhost only
  --config-refetch SECONDS refetch --config-url this often (default: never)
  --config-password-file F password of a sealed config (else $SWITCHBOARD_CONFIG_PASSWORD, $CONFIG_PASSWORD)
  --control-plane HOST:PORT  managed mode: subscribe to this control plane
  --dataplane-token-file F   managed mode: data-plane token (else $SWITCHBOARD_DATAPLANE_TOKEN)
  --control-plane-ca F       managed mode: use TLS, trusting this CA
  --control-plane-cert F --control-plane-key F  managed mode: TLS client certificate
  --stats-interval SECONDS   managed mode: per-model stats report period (default 10)
  --listen HOST:PORT       API address (default 127.0.0.1:<config port, 3000>)
  --admin-listen HOST:PORT admin address: /healthz, /readyz, /metrics (default 127.0.0.1:9901)
  --node-id ID             name of this replica in logs and to the control plane (default: host name)
  --threads N              I/O threads (default: number of cores)
  --log-level LEVEL        debug, info, warn or error (default info)
  --help                   this text

Port 0 picks a free port; the "ready" log line on stderr names the addresses.
)";

struct Flags {
  std::string config;
  std::string config_url;
  std::string config_password_file;
  double config_refetch_seconds = 0;
  std::string control_plane;
  std::string dataplane_token_file;
  std::string control_plane_ca;
  std::string control_plane_cert;
  std::string control_plane_key;
  double stats_interval_seconds = 10;
  std::string listen;
  std::string admin_listen = "127.0.0.1:9901";
  std::string node_id;
  int threads = 0;
  std::string log_level = "info";
};

int UsageError(const std::string& message) {
  std::fprintf(stderr, "switchboard-dataplane: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

// Returns -1 to continue, or an exit code.
int ParseFlags(int argc, char** argv, Flags& flags) {
  switchboard::flags::Reader reader(argc, argv);
  while (reader.Next()) {
    const std::string& arg = reader.arg();
    auto next = [&](std::string& out) { return reader.Value(out); };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--config") {
      if (!next(flags.config)) return UsageError("--config needs a file");
    } else if (arg == "--listen") {
      if (!next(flags.listen)) return UsageError("--listen needs HOST:PORT");
    } else if (arg == "--admin-listen") {
      if (!next(flags.admin_listen)) return UsageError("--admin-listen needs HOST:PORT");
    } else if (arg == "--node-id") {
      if (!next(flags.node_id)) return UsageError("--node-id needs a value");
    } else if (arg == "--threads") {
      std::string n;
      if (!next(n)) return UsageError("--threads needs a number");
      flags.threads = std::atoi(n.c_str());
      if (flags.threads < 1 || flags.threads > 256) return UsageError("--threads must be 1-256");
    } else if (arg == "--log-level") {
      if (!next(flags.log_level)) return UsageError("--log-level needs a level");
    } else if (arg == "--control-plane") {
      if (!next(flags.control_plane)) return UsageError("--control-plane needs HOST:PORT");
    } else if (arg == "--dataplane-token-file") {
      if (!next(flags.dataplane_token_file)) return UsageError("--dataplane-token-file needs a file");
    } else if (arg == "--control-plane-ca") {
      if (!next(flags.control_plane_ca)) return UsageError("--control-plane-ca needs a file");
    } else if (arg == "--control-plane-cert") {
      if (!next(flags.control_plane_cert)) return UsageError("--control-plane-cert needs a file");
    } else if (arg == "--control-plane-key") {
      if (!next(flags.control_plane_key)) return UsageError("--control-plane-key needs a file");
    } else if (arg == "--stats-interval") {
      std::string n;
      if (!next(n)) return UsageError("--stats-interval needs seconds");
      flags.stats_interval_seconds = std::atof(n.c_str());
      if (!(flags.stats_interval_seconds >= 0.05 && flags.stats_interval_seconds <= 3600)) {
        return UsageError("--stats-interval must be 0.05-3600 seconds");
      }
    } else if (arg == "--config-url") {
      if (!next(flags.config_url)) return UsageError("--config-url needs a URL");
    } else if (arg == "--config-password-file") {
      if (!next(flags.config_password_file)) return UsageError("--config-password-file needs a file");
    } else if (arg == "--config-refetch") {
      std::string n;
      if (!next(n)) return UsageError("--config-refetch needs seconds");
      flags.config_refetch_seconds = std::atof(n.c_str());
      if (!(flags.config_refetch_seconds >= 0.1 && flags.config_refetch_seconds <= 86400)) {
        return UsageError("--config-refetch must be 0.1-86400 seconds");
      }
    } else {
      return UsageError("unknown argument '" + arg + "'");
    }
  }
  if (flags.config.empty() && flags.config_url.empty() && flags.control_plane.empty()) {
    // FunTimeRouter's deployments name their encrypted config's URL so.
    if (const char* url = std::getenv("CONFIG_URL"); url != nullptr && *url != '\0') flags.config_url = url;
  }
  int sources = int{!flags.config.empty()} + int{!flags.config_url.empty()} + int{!flags.control_plane.empty()};
  if (sources != 1) {
    return UsageError("give one of --config FILE, --config-url URL or --control-plane HOST:PORT");
  }
  if (flags.config_refetch_seconds > 0 && flags.config_url.empty()) {
    return UsageError("--config-refetch goes with --config-url (a --config file is reloaded when it changes)");
  }
  return -1;
}

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "dataplane";
  return name;
}

// Managed mode: no config until the control plane sends one; the server
// answers 503 meanwhile (and /readyz says so).
int RunManaged(const Flags& flags) {
  auto token = control::LoadDataPlaneToken(flags.dataplane_token_file);
  if (!token.ok()) {
    log::Error("config error", {{"error", token.status().message()}});
    return 2;
  }
  routing::SnapshotStore store;
  metrics::DataPlaneMetrics metrics;
  server::ServerOptions options;
  options.api_listen = flags.listen.empty() ? "127.0.0.1:3000" : flags.listen;
  options.admin_listen = flags.admin_listen;
  options.threads = flags.threads;
  server::Server server(options, store, metrics);
  if (absl::Status bound = server.Bind(); !bound.ok()) {
    log::Error("cannot start", {{"error", bound.message()}});
    return 1;
  }
  control::ClientOptions client_options;
  client_options.target = flags.control_plane;
  client_options.node_id = flags.node_id.empty() ? HostName() : flags.node_id;
  client_options.token = *token;
  client_options.tls_ca_file = flags.control_plane_ca;
  client_options.tls_cert_file = flags.control_plane_cert;
  client_options.tls_key_file = flags.control_plane_key;
  client_options.stats_interval =
      std::chrono::milliseconds(static_cast<int64_t>(flags.stats_interval_seconds * 1000.0));
  control::ClientCallbacks callbacks;
  callbacks.applied = [&metrics](const routing::Snapshot& snapshot, uint64_t version) {
    metrics.ConfigApplied(snapshot, version);
  };
  callbacks.rejected = [&metrics] { metrics.ConfigRejected(); };
  callbacks.stats = [&metrics] { return metrics.ModelStats(); };
  control::ControlPlaneClient client(client_options, store, std::move(callbacks));
  if (absl::Status started = client.Start(); !started.ok()) {
    log::Error("config error", {{"error", started.message()}});
    return 2;
  }
  log::Info("ready", {{"api", server.api_address()},
                      {"admin", server.admin_address()},
                      {"control_plane", flags.control_plane},
                      {"node_id", client_options.node_id},
                      {"allocator", AllocatorName()}});
  server.Run();
  client.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (int code = ParseFlags(argc, argv, flags); code >= 0) return code;
  if (!switchboard::flags::SetLogLevel(flags.log_level)) return UsageError("--log-level must be debug, info, warn or error");
  // The I/O threads hand their request lines over and never wait for stderr.
  log::BackgroundWriter log_writer;
  if (!flags.control_plane.empty()) return RunManaged(flags);

  source::SourceOptions source_options;
  source_options.file = flags.config;
  source_options.url = flags.config_url;
  source_options.password_file = flags.config_password_file;
  auto source = source::ConfigSource::Create(source_options);
  if (!source.ok()) {
    log::Error("config error", {{"error", source.status().message()}});
    return 2;
  }
  auto snapshot = (*source)->Load();
  if (!snapshot.ok()) {
    log::Error("config error", {{"error", snapshot.status().message()}});
    return 2;
  }
  routing::SnapshotStore store;
  store.Set(*snapshot);
  metrics::DataPlaneMetrics metrics;
  metrics.ConfigApplied(**snapshot, 1);

  server::ServerOptions options;
  options.api_listen = flags.listen.empty() ? "127.0.0.1:" + std::to_string((*snapshot)->settings().port) : flags.listen;
  options.admin_listen = flags.admin_listen;
  options.threads = flags.threads;
  server::Server server(options, store, metrics);
  if (absl::Status bound = server.Bind(); !bound.ok()) {
    log::Error("cannot start", {{"error", bound.message()}});
    return 1;
  }
  source::ConfigWatcher watcher(
      **source, std::chrono::milliseconds(static_cast<int64_t>(flags.config_refetch_seconds * 1000.0)), store, metrics);
  nlohmann::json ready = {{"api", server.api_address()},
                          {"admin", server.admin_address()},
                          {"config", (*source)->name()},
                          {"models", (*snapshot)->models().size()},
                          {"allocator", AllocatorName()}};
  if (!flags.node_id.empty()) ready["node_id"] = flags.node_id;
  log::Info("ready", ready);
  server.Run();
  return 0;
}
