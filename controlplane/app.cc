#include "controlplane/app.h"

#include <signal.h>

#include <fstream>
#include <sstream>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "common/log.h"
#include "controlplane/admin_service.h"
#include "controlplane/auth.h"
#include "controlplane/config_manager.h"
#include "controlplane/discovery_service.h"
#include "controlplane/metrics.h"
#include "controlplane/metrics_server.h"
#include "controlplane/stats_service.h"
#include "grpc/health/v1/health.pb.h"

namespace switchboard::controlplane {
namespace {

constexpr int kMaxMessageBytes = 64 << 20;

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(std::string("cannot read ") + what + " " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const Options& options) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) {
    if (!options.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  auto cert = ReadFile(options.tls_cert_file, "--tls-cert");
  if (!cert.ok()) return cert.status();
  auto key = ReadFile(options.tls_key_file, "--tls-key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!options.tls_client_ca_file.empty()) {
    auto ca = ReadFile(options.tls_client_ca_file, "--tls-client-ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    // Admins (grpcurl) may come without a certificate; discovery and stats
    // calls check that one was presented and verified.
    ssl.client_certificate_request = GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

int ConfigError(const absl::Status& status) {
  log::Error("config error", {{"error", status.message()}});
  return 2;
}

}  // namespace

int Run(const Options& options) {
  auto admin_token = Token::Load(options.admin_token_file, "SWITCHBOARD_ADMIN_TOKEN");
  if (!admin_token.ok()) return ConfigError(admin_token.status());
  auto dataplane_token = Token::Load(options.dataplane_token_file, "SWITCHBOARD_DATAPLANE_TOKEN");
  if (!dataplane_token.ok()) return ConfigError(dataplane_token.status());
  bool open_admin = !admin_token->configured();
  bool open_dataplane = !dataplane_token->configured();
  if ((open_admin || open_dataplane) && !IsLoopbackListen(options.listen)) {
    log::Error("refusing to listen beyond loopback without tokens",
               {{"listen", options.listen},
                {"missing", open_admin && open_dataplane ? "admin and data-plane tokens"
                            : open_admin                 ? "admin token"
                                                         : "data-plane token"},
                {"hint", "set --admin-token-file and --dataplane-token-file (or SWITCHBOARD_ADMIN_TOKEN and "
                         "SWITCHBOARD_DATAPLANE_TOKEN), or listen on 127.0.0.1"}});
    return 2;
  }
  if (open_admin || open_dataplane) {
    log::Warn("no token configured: anyone who can reach the loopback address may call",
              {{"listen", options.listen},
               {"admin_calls", open_admin ? "open" : "token"},
               {"dataplane_calls", open_dataplane ? "open" : "token"}});
  }
  if (admin_token->configured() && admin_token->SameAs(*dataplane_token)) {
    // The same secret for both would let any data plane change the config.
    return ConfigError(absl::InvalidArgumentError("the admin token and the data-plane token must differ"));
  }
  auto credentials = Credentials(options);
  if (!credentials.ok()) return ConfigError(credentials.status());

  ConfigManager::StartOptions start{options.config_file, options.reset_from_config};
  auto configs = ConfigManager::Start(std::make_unique<StateStore>(options.state_dir), start);
  if (!configs.ok()) return ConfigError(configs.status());

  Counters counters;
  DataPlaneRegistry registry(counters, (*configs)->Current());
  (*configs)->SetPublisher([&registry](const VersionPtr& version) { registry.Broadcast(version); });
  StatsAggregator stats;
  ControlPlaneMetrics metrics(**configs, registry, stats, counters);

  bool require_client_cert = !options.tls_client_ca_file.empty();
  AdminService admin(**configs, registry, stats, *admin_token, counters);
  DiscoveryService discovery(registry, *dataplane_token, counters, require_client_cert);
  StatsService stats_service(stats, registry, *dataplane_token, counters, require_client_cert);

  // Server reflection describes services from the linked descriptors; gRPC's
  // built-in health service has none, so link ours.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // A port in use must be an error, not a second server sharing it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Data planes ping every 20 s to notice a dead connection; allow it.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Whole configs travel in one message (ApplyConfig); gRPC's default cap is 4 MiB.
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  int port = 0;
  builder.AddListeningPort(options.listen, *credentials, &port);
  builder.RegisterService(&admin);
  builder.RegisterService(&discovery);
  builder.RegisterService(&stats_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    log::Error("cannot start", {{"error", "cannot listen on " + options.listen}});
    return 1;
  }
  auto* health = server->GetHealthCheckService();
  health->SetServingStatus(true);

  MetricsServer metrics_server([&metrics] { return metrics.Serialize(); });
  if (absl::Status bound = metrics_server.Bind(options.metrics_listen); !bound.ok()) {
    log::Error("cannot start", {{"error", bound.message()}});
    server->Shutdown();
    return 1;
  }
  metrics_server.Start();

  std::string listen_host = options.listen.substr(0, options.listen.rfind(':'));
  log::Info("ready", {{"grpc", listen_host + ":" + std::to_string(port)},
                      {"metrics", metrics_server.address()},
                      {"version", (*configs)->Current()->version},
                      {"state_dir", options.state_dir},
                      {"tls", !options.tls_cert_file.empty()}});

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int signal = 0;
  while (sigwait(&signals, &signal) != 0) {
  }
  log::Info("signal received", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
  health->SetServingStatus(false);
  // Data planes keep their config and reconnect to the next control plane.
  registry.CloseAll();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  metrics_server.Stop();
  log::Info("stopped");
  return 0;
}

}  // namespace switchboard::controlplane
