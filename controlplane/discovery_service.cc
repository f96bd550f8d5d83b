#include "controlplane/discovery_service.h"

#include <deque>
#include <mutex>

#include "common/log.h"

namespace switchboard::controlplane {
namespace {

using controlplane::v1::DiscoveryRequest;
using controlplane::v1::DiscoveryResponse;

// A stream refused before it started (authentication).
class RefusedStream final : public grpc::ServerBidiReactor<DiscoveryRequest, DiscoveryResponse> {
 public:
  explicit RefusedStream(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

class DiscoveryStream final : public grpc::ServerBidiReactor<DiscoveryRequest, DiscoveryResponse>,
                              public ConfigSink {
 public:
  DiscoveryStream(DataPlaneRegistry& registry, std::string peer) : registry_(registry), peer_(std::move(peer)) {
    StartRead(&request_);
  }

  void Push(const VersionPtr& version) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    if (writing_) {
      pending_ = version;  // replaces an older unsent one
      return;
    }
    writing_ = true;
    PrepareLocked(version);
    // Under mu_, so that Finish cannot come first. gRPC never runs a reaction
    // inline in StartWrite, so OnWriteDone cannot deadlock on mu_.
    StartWrite(&response_);
  }

  void Close() override {
    FinishOnce(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the control plane is stopping"));
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The data plane closed its side, went away, or the server is stopping.
      FinishOnce(grpc::Status::OK);
      return;
    }
    if (node_id_.empty()) {
      if (request_.node_id().empty()) {
        FinishOnce(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the first message must carry node_id"));
        return;
      }
      node_id_ = request_.node_id();
      log::Info("data plane connected",
                {{"node_id", node_id_}, {"peer", peer_}, {"version", request_.version_info()}});
      registry_.Connect(this, node_id_, peer_, request_.version_info());
      registered_ = true;
    } else {
      HandleReply();
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!finished_) StartRead(&request_);  // no read after Finish
  }

  void OnWriteDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (!ok) {
      writing_ = false;  // the stream is broken; the pending read will fail too
      return;
    }
    uint64_t sent = response_.version();
    lock.unlock();
    registry_.RecordSent(node_id_, sent);
    lock.lock();
    if (pending_ && !finished_) {
      PrepareLocked(pending_);
      pending_.reset();
      StartWrite(&response_);
      return;
    }
    writing_ = false;
  }

  void OnDone() override {
    if (registered_) {
      registry_.Disconnect(this);
      log::Info("data plane disconnected", {{"node_id", node_id_}, {"peer", peer_}});
    }
    delete this;
  }

 private:
  // Fills response_ for `version`; the caller holds mu_ and starts the write.
  void PrepareLocked(const VersionPtr& version) {
    response_.Clear();
    response_.set_version(version->version);
    response_.set_nonce(std::to_string(++nonce_counter_));
    *response_.mutable_config() = *version->config;
    sent_.emplace_back(response_.nonce(), version->version);
    if (sent_.size() > 16) sent_.pop_front();
  }

  // An ACK or NACK from the data plane.
  void HandleReply() {
    uint64_t answered = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [nonce, version] : sent_) {
        if (nonce == request_.response_nonce()) answered = version;
      }
    }
    if (answered == 0) {
      log::Warn("data plane answered an unknown nonce",
                {{"node_id", node_id_}, {"nonce", request_.response_nonce()}});
      return;
    }
    if (request_.has_error_detail() && !request_.error_detail().message().empty()) {
      registry_.RecordNack(node_id_, request_.version_info(), answered, request_.error_detail().code(),
                           request_.error_detail().message());
    } else {
      registry_.RecordAck(node_id_, request_.version_info());
    }
  }

  void FinishOnce(grpc::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    pending_.reset();
    Finish(std::move(status));
  }

  DataPlaneRegistry& registry_;
  const std::string peer_;
  // Touched only by the read side (one read in flight at a time).
  DiscoveryRequest request_;
  std::string node_id_;
  bool registered_ = false;

  // Guards what follows. StartWrite, StartRead and Finish are called under it
  // so that none comes after Finish.
  std::mutex mu_;
  DiscoveryResponse response_;  // the write in flight
  bool writing_ = false;
  bool finished_ = false;
  VersionPtr pending_;
  uint64_t nonce_counter_ = 0;
  std::deque<std::pair<std::string, uint64_t>> sent_;  // recent nonce -> version
};

}  // namespace

grpc::Status CheckDataPlane(const grpc::ServerContextBase& context, const Token& token, bool require_client_cert) {
  if (require_client_cert) {
    auto auth = context.auth_context();
    if (auth == nullptr || !auth->IsPeerAuthenticated()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "a TLS client certificate signed by the control plane's --tls-client-ca is required");
    }
  }
  return token.Check(context, "data-plane");
}

grpc::ServerBidiReactor<DiscoveryRequest, DiscoveryResponse>* DiscoveryService::StreamConfig(
    grpc::CallbackServerContext* context) {
  grpc::Status allowed = CheckDataPlane(*context, token_, require_client_cert_);
  if (!allowed.ok()) {
    counters_.unauthenticated.fetch_add(1, std::memory_order_relaxed);
    log::Warn("data-plane stream refused", {{"peer", context->peer()}, {"error", allowed.error_message()}});
    return new RefusedStream(std::move(allowed));
  }
  return new DiscoveryStream(registry_, context->peer());
}

}  // namespace switchboard::controlplane
