#include "dataplane/control/control_client.h"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>

#include "common/background_thread.h"
#include "common/log.h"
#include "dataplane/control/stats_report.h"
#include "switchboard/controlplane/v1/discovery.grpc.pb.h"
#include "switchboard/controlplane/v1/stats.grpc.pb.h"

namespace switchboard::control {
namespace {

namespace v1 = ::switchboard::controlplane::v1;

std::string RandomId() {
  std::random_device device;
  std::mt19937_64 rng((static_cast<uint64_t>(device()) << 32) ^ device() ^
                      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  uint64_t bits = rng();
  for (int i = 0; i < 16; ++i) id.push_back(kHex[(bits >> (i * 4)) & 0xF]);
  return id;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

void Authorize(grpc::ClientContext& context, const std::string& token) {
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
}

}  // namespace

absl::StatusOr<std::string> LoadDataPlaneToken(const std::string& file) {
  if (!file.empty()) {
    auto text = ReadFile(file);
    if (!text.ok()) return text.status();
    std::string token = Trim(text->substr(0, text->find('\n')));
    if (token.empty()) return absl::InvalidArgumentError("token file " + file + " is empty");
    return token;
  }
  const char* env = std::getenv("SWITCHBOARD_DATAPLANE_TOKEN");
  return env == nullptr ? std::string() : Trim(env);
}

ControlPlaneClient::ControlPlaneClient(ClientOptions options, routing::SnapshotStore& store,
                                       ClientCallbacks callbacks)
    : options_(std::move(options)), store_(store), callbacks_(std::move(callbacks)), instance_id_(RandomId()) {}

ControlPlaneClient::~ControlPlaneClient() { Stop(); }

absl::Status ControlPlaneClient::Start() {
  // gRPC starts its own threads (an executor, timers, the event engine's
  // pollers, which read the control plane's pushes) when the first channel is
  // made, and a new thread takes the nice value of the thread that makes it.
  // Made from main they ran at the I/O threads' priority, and every push woke
  // them there; made from a lowered thread they run below, as ours do.
  absl::Status status;
  std::thread([this, &status] {
    BecomeBackgroundThread("cp-start");
    status = MakeChannel();
  }).join();
  if (!status.ok()) return status;
  subscriber_ = std::thread([this] { SubscribeLoop(); });
  reporter_ = std::thread([this] { StatsLoop(); });
  return absl::OkStatus();
}

absl::Status ControlPlaneClient::MakeChannel() {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options_.tls_ca_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    auto ca = ReadFile(options_.tls_ca_file);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
      auto cert = ReadFile(options_.tls_cert_file);
      if (!cert.ok()) return cert.status();
      auto key = ReadFile(options_.tls_key_file);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  // Notice a control plane that vanished without closing the connection.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // gRPC's own reconnect backoff must not outlast ours (its default cap is 120 s).
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, static_cast<int>(options_.backoff.initial.count()));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, static_cast<int>(options_.backoff.initial.count()));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, static_cast<int>(options_.backoff.max.count()));
  // A whole config is one message; gRPC's default cap is 4 MiB.
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  channel_ = grpc::CreateCustomChannel(options_.target, credentials, args);
  return absl::OkStatus();
}

void ControlPlaneClient::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    if (stream_context_) stream_context_->TryCancel();
  }
  cv_.notify_all();
  if (subscriber_.joinable()) subscriber_.join();
  if (reporter_.joinable()) reporter_.join();
}

bool ControlPlaneClient::Sleep(std::chrono::milliseconds delay) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, delay, [this] { return stopping_; });
}

void ControlPlaneClient::SubscribeLoop() {
  BecomeBackgroundThread("cp-subscriber");
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int attempt = 0;
  for (;;) {
    bool delivered = RunStream();
    if (delivered) attempt = 0;
    auto delay = BackoffDelay(options_.backoff, attempt++, unit(rng));
    if (attempt > 30) attempt = 30;  // the cap is reached long before; keep pow() small
    if (!Sleep(delay)) return;
    log::Debug("reconnecting to the control plane", {{"control_plane", options_.target}});
  }
}

bool ControlPlaneClient::RunStream() {
  auto context = std::make_shared<grpc::ClientContext>();
  Authorize(*context, options_.token);
  // Wait for the channel to connect rather than fail at once while it is in
  // its own reconnect backoff: a fail-fast attempt succeeds only if it falls
  // after the channel's first connect after the control plane came back, so
  // the two backoffs compounded (8-14 s from the control plane's return to
  // the stream, after outages of 3-13 s). Stop cancels the waiting call.
  context->set_wait_for_ready(true);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    stream_context_ = context;
  }
  auto stub = v1::DiscoveryService::NewStub(channel_);
  auto stream = stub->StreamConfig(context.get());
  v1::DiscoveryRequest hello;
  hello.set_node_id(options_.node_id);
  hello.set_version_info(applied_version_.load());
  bool delivered = false;
  if (stream->Write(hello)) {
    v1::DiscoveryResponse response;
    while (stream->Read(&response)) {
      if (!delivered) log::Info("control plane connected", {{"control_plane", options_.target}});
      delivered = true;
      quiet_ = false;
      v1::DiscoveryRequest reply;
      reply.set_node_id(options_.node_id);
      reply.set_response_nonce(response.nonce());
      std::shared_ptr<const routing::Snapshot> current = store_.Get();
      if (current != nullptr && google::protobuf::util::MessageDifferencer::Equals(current->config(), response.config())) {
        // Same config under a new version (a rollback to it, say): nothing to build.
        applied_version_.store(response.version());
        if (callbacks_.applied) callbacks_.applied(*current, response.version());
        reply.set_version_info(response.version());
      } else if (auto built = routing::Snapshot::Build(response.config()); built.ok()) {
        store_.Set(*built);
        applied_version_.store(response.version());
        if (callbacks_.applied) callbacks_.applied(**built, response.version());
        log::Info("config applied", {{"version", response.version()}, {"models", (*built)->models().size()}});
        reply.set_version_info(response.version());
      } else {
        if (callbacks_.rejected) callbacks_.rejected();
        log::Error("config rejected; keeping the running one",
                   {{"version", response.version()}, {"kept_version", applied_version_.load()},
                    {"error", built.status().message()}});
        reply.set_version_info(applied_version_.load());
        reply.mutable_error_detail()->set_code(static_cast<int32_t>(built.status().code()));
        reply.mutable_error_detail()->set_message(std::string(built.status().message()));
      }
      if (!stream->Write(reply)) break;
    }
  }
  grpc::Status status = stream->Finish();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stream_context_.reset();
    if (stopping_) return delivered;
  }
  nlohmann::json fields = {{"control_plane", options_.target},
                           {"code", static_cast<int>(status.error_code())},
                           {"error", status.error_message()},
                           {"serving_version", applied_version_.load()}};
  // One line per outage, not one per reconnect attempt.
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    log::Write(delivered || !quiet_ ? log::Level::kError : log::Level::kDebug, "control plane refused this data plane",
               fields);
  } else {
    log::Write(delivered || !quiet_ ? log::Level::kWarn : log::Level::kDebug,
               "control plane stream ended; serving the last good config", fields);
  }
  quiet_ = true;
  return delivered;
}

void ControlPlaneClient::StatsLoop() {
  BecomeBackgroundThread("cp-stats");
  while (Sleep(options_.stats_interval)) ReportStats(std::chrono::seconds(5));
  ReportStats(std::chrono::seconds(1));  // the figures since the last report
}

void ControlPlaneClient::ReportStats(std::chrono::milliseconds deadline) {
  if (!callbacks_.stats) return;
  v1::StatsReport report = MakeStatsReport(options_.node_id, instance_id_, callbacks_.stats());
  grpc::ClientContext context;
  Authorize(context, options_.token);
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  v1::ReportStatsResponse response;
  grpc::Status status = v1::StatsService::NewStub(channel_)->ReportStats(&context, report, &response);
  if (!status.ok()) {
    log::Debug("stats report failed", {{"code", static_cast<int>(status.error_code())}, {"error", status.error_message()}});
  }
}

}  // namespace switchboard::control
