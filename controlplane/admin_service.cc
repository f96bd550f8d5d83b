#include "controlplane/admin_service.h"

#include <google/protobuf/util/time_util.h>

#include "common/config/load.h"
#include "common/log.h"
#include "controlplane/config_check.h"
#include "controlplane/mutations.h"
#include "controlplane/stats_service.h"

namespace switchboard::controlplane {
namespace {

using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;

constexpr size_t kMaxAuthorLength = 64;

std::optional<uint64_t> Expected(bool has, uint64_t value) {
  if (!has) return std::nullopt;
  return value;
}

// Sets the field `mutable_field()` returns to `time`, and leaves it absent
// when `time` is unset (the epoch).
template <typename MutableField>
void SetTime(std::chrono::system_clock::time_point time, MutableField mutable_field) {
  if (time.time_since_epoch().count() == 0) return;
  *mutable_field() = TimeUtil::MicrosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count());
}

// The config an ApplyConfig / ValidateConfig request carries, checked on its
// own (errors from text point at its lines: "request:3: modelProviders.x: ...").
absl::StatusOr<config::v1::Config> RequestedConfig(const v1::ApplyConfigRequest& request,
                                                   const config::v1::Config& current) {
  config::v1::Config next = current;
  switch (request.source_case()) {
    case v1::ApplyConfigRequest::kText: {
      auto loaded = config::ParseConfigText(request.text(), "request");
      if (!loaded.ok()) return loaded.status();
      if (auto replaced = ReplaceConfig(next, loaded->config); !replaced.ok()) return replaced.status();
      if (absl::Status valid = ValidateForControlPlane(next); !valid.ok()) {
        return config::AnnotateWithSource(valid, *loaded);
      }
      return next;
    }
    case v1::ApplyConfigRequest::kConfig: {
      if (auto replaced = ReplaceConfig(next, request.config()); !replaced.ok()) return replaced.status();
      if (absl::Status valid = ValidateForControlPlane(next); !valid.ok()) return valid;
      return next;
    }
    default:
      return absl::InvalidArgumentError("set `text` (a config file's YAML or JSON) or `config`");
  }
}

}  // namespace

AdminService::Reactor* AdminService::Refuse(Ctx* ctx) {
  grpc::Status allowed = token_.Check(*ctx, "admin");
  if (allowed.ok()) return nullptr;
  counters_.unauthenticated.fetch_add(1, std::memory_order_relaxed);
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(allowed);
  return reactor;
}

std::string AdminService::AuthorOf(const Ctx& ctx) const {
  std::string identity = token_.configured() ? "admin" : "anonymous";
  const auto& metadata = ctx.client_metadata();
  if (auto it = metadata.find("x-switchboard-author"); it != metadata.end()) {
    std::string named;
    for (char c : std::string_view(it->second.data(), it->second.size())) {
      if (named.size() >= kMaxAuthorLength) break;
      if (c > ' ' && c < 127 && c != '@') named.push_back(c);
    }
    if (!named.empty()) identity = named;
  }
  return identity + "@" + PeerHost(ctx.peer());
}

AdminService::Reactor* AdminService::FinishMutation(Ctx* ctx, const char* rpc,
                                                    const ConfigManager::Result* result, const absl::Status& status,
                                                    v1::MutationResponse* resp) {
  auto* reactor = ctx->DefaultReactor();
  if (!status.ok()) {
    counters_.changes_rejected.fetch_add(1, std::memory_order_relaxed);
    log::Info("config change refused", {{"rpc", rpc}, {"code", absl::StatusCodeToString(status.code())},
                                        {"error", status.message()}});
    reactor->Finish(ToGrpc(status));
    return reactor;
  }
  resp->set_version(result->version->version);
  if (result->changed) {
    counters_.changes_accepted.fetch_add(1, std::memory_order_relaxed);
    resp->set_summary(result->version->summary);
  } else {
    resp->set_summary("no change: version " + std::to_string(result->version->version) + " already has it");
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

AdminService::Reactor* AdminService::Mutate(Ctx* ctx, const char* rpc, std::optional<uint64_t> expected,
                                            v1::MutationResponse* resp, const ConfigManager::Change& change) {
  auto result = configs_.Mutate(AuthorOf(*ctx), expected, change);
  return FinishMutation(ctx, rpc, result.ok() ? &*result : nullptr, result.status(), resp);
}

AdminService::Reactor* AdminService::GetConfig(Ctx* ctx, const v1::GetConfigRequest*, v1::GetConfigResponse* resp) {
  if (auto* refused = Refuse(ctx)) return refused;
  VersionPtr current = configs_.Current();
  resp->set_version(current->version);
  *resp->mutable_config() = Redacted(*current->config);
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

AdminService::Reactor* AdminService::ValidateConfig(Ctx* ctx, const v1::ApplyConfigRequest* req,
                                                    v1::ValidateConfigResponse* resp) {
  if (auto* refused = Refuse(ctx)) return refused;
  auto* reactor = ctx->DefaultReactor();
  auto next = RequestedConfig(*req, *configs_.Current()->config);
  if (!next.ok()) {
    reactor->Finish(ToGrpc(next.status()));
    return reactor;
  }
  resp->set_summary("valid: " + Summarize(*next));
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

AdminService::Reactor* AdminService::ApplyConfig(Ctx* ctx, const v1::ApplyConfigRequest* req,
                                                 v1::MutationResponse* resp) {
  if (auto* refused = Refuse(ctx)) return refused;
  return Mutate(ctx, "ApplyConfig", Expected(req->has_expected_version(), req->expected_version()), resp,
                [req](config::v1::Config& config) -> absl::StatusOr<std::string> {
                  auto next = RequestedConfig(*req, config);
                  if (!next.ok()) return next.status();
                  config = *std::move(next);
                  return "ApplyConfig: " + Summarize(config);
                });
}

AdminService::Reactor* AdminService::SetWeights(Ctx* ctx, const v1::SetWeightsRequest* req,
                                                v1::MutationResponse* resp) {
  if (auto* refused = Refuse(ctx)) return refused;
  std::map<std::string, double> weights(req->weights().begin(), req->weights().end());
  return Mutate(ctx, "SetWeights", Expected(req->has_expected_version(), req->expected_version()), resp,
                [&](config::v1::Config& config) { return controlplane::SetWeights(config, req->name(), weights); });
}

AdminService::Reactor* AdminService::PutModelProvider(Ctx* ctx, const v1::PutModelProviderRequest* req,
                                                      v1::MutationResponse* resp) {
  if (auto* refused = Refuse(ctx)) return refused;
  return Mutate(ctx, "PutModelProvider", Expected(req->has_expected_version(), req->expected_version()), resp,
                [req](config::v1::Config& config) {
                  return controlplane::PutModelProvider(config, req->name(), req->provider());
                });
}

AdminService::Reactor* AdminService::DeleteModelProvider(Ctx* ctx, const v1::DeleteRequest* req,
                                                         v1::MutationResponse* resp) {
  if (auto* refused = Refuse(ctx)) return refused;
  return Mutate(ctx, "DeleteModelProvider", Expected(req->has_expected_version(), req->expected_version()), resp,
                [req](config::v1::Config& config) { return controlplane::DeleteModelProvider(config, req->name()); });
}

AdminService::Reactor* AdminService::PutKeyProvider(Ctx* ctx, const v1::PutKeyProviderRequest* req,
                                                    v1::MutationResponse* resp) {
  if (auto* refused = Refuse(ctx)) return refused;
  return Mutate(ctx, "PutKeyProvider", Expected(req->has_expected_version(), req->expected_version()), resp,
                [req](config::v1::Config& config) {
                  return controlplane::PutKeyProvider(config, req->name(), req->provider());
                });
}

AdminService::Reactor* AdminService::DeleteKeyProvider(Ctx* ctx, const v1::DeleteRequest* req,
                                                       v1::MutationResponse* resp) {
  if (auto* refused = Refuse(ctx)) return refused;
  return Mutate(ctx, "DeleteKeyProvider", Expected(req->has_expected_version(), req->expected_version()), resp,
                [req](config::v1::Config& config) { return controlplane::DeleteKeyProvider(config, req->name()); });
}

AdminService::Reactor* AdminService::PutProcessorChain(Ctx* ctx, const v1::PutProcessorChainRequest* req,
                                                       v1::MutationResponse* resp) {
  if (auto* refused = Refuse(ctx)) return refused;
  return Mutate(ctx, "PutProcessorChain", Expected(req->has_expected_version(), req->expected_version()), resp,
                [req](config::v1::Config& config) {
                  return controlplane::PutProcessorChain(config, req->name(), req->chain());
                });
}

AdminService::Reactor* AdminService::DeleteProcessorChain(Ctx* ctx, const v1::DeleteRequest* req,
                                                          v1::MutationResponse* resp) {
  if (auto* refused = Refuse(ctx)) return refused;
  return Mutate(ctx, "DeleteProcessorChain", Expected(req->has_expected_version(), req->expected_version()), resp,
                [req](config::v1::Config& config) { return controlplane::DeleteProcessorChain(config, req->name()); });
}

AdminService::Reactor* AdminService::ListVersions(Ctx* ctx, const v1::ListVersionsRequest* req,
                                                  v1::ListVersionsResponse* resp) {
  if (auto* refused = Refuse(ctx)) return refused;
  auto history = configs_.History(req->limit());
  resp->set_current_version(history.front()->version);
  for (const auto& version : history) {
    auto* info = resp->add_versions();
    info->set_version(version->version);
    SetTime(version->time, [info] { return info->mutable_create_time(); });
    info->set_author(version->author);
    info->set_summary(version->summary);
  }
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

AdminService::Reactor* AdminService::Rollback(Ctx* ctx, const v1::RollbackRequest* req, v1::MutationResponse* resp) {
  if (auto* refused = Refuse(ctx)) return refused;
  auto result = configs_.Rollback(AuthorOf(*ctx), Expected(req->has_expected_version(), req->expected_version()),
                                  req->version());
  return FinishMutation(ctx, "Rollback", result.ok() ? &*result : nullptr, result.status(), resp);
}

AdminService::Reactor* AdminService::ListDataPlanes(Ctx* ctx, const v1::ListDataPlanesRequest*,
                                                    v1::ListDataPlanesResponse* resp) {
  if (auto* refused = Refuse(ctx)) return refused;
  resp->set_current_version(registry_.Latest()->version);
  for (const auto& node : registry_.List()) {
    auto* info = resp->add_data_planes();
    info->set_node_id(node.node_id);
    info->set_peer(node.peer);
    info->set_connected(node.streams > 0);
    SetTime(node.connected_since, [info] { return info->mutable_connected_since(); });
    if (node.streams == 0) SetTime(node.disconnected_at, [info] { return info->mutable_disconnected_at(); });
    info->set_applied_version(node.applied_version);
    info->set_sent_version(node.sent_version);
    if (node.rejected_version != 0) {
      info->set_rejected_version(node.rejected_version);
      info->mutable_last_error()->set_code(node.error_code);
      info->mutable_last_error()->set_message(node.error_message);
      SetTime(node.error_time, [info] { return info->mutable_last_error_time(); });
    }
    SetTime(node.last_stats_report, [info] { return info->mutable_last_stats_report(); });
  }
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

AdminService::Reactor* AdminService::GetStats(Ctx* ctx, const v1::GetStatsRequest*, v1::GetStatsResponse* resp) {
  if (auto* refused = Refuse(ctx)) return refused;
  resp->set_reporting_processes(static_cast<uint32_t>(stats_.processes()));
  for (const auto& model : stats_.Totals()) {
    auto* summary = resp->add_models();
    summary->set_model(model.model());
    uint64_t requests = 0;
    for (const auto& [code_class, count] : model.requests_by_code_class()) {
      (*summary->mutable_requests_by_code_class())[code_class] = count;
      requests += count;
    }
    summary->set_requests(requests);
    summary->set_prompt_tokens(model.prompt_tokens());
    summary->set_completion_tokens(model.completion_tokens());
    *summary->mutable_duration() = SummarizeLatency(model.duration_seconds());
    *summary->mutable_time_to_first_token() = SummarizeLatency(model.time_to_first_token_seconds());
  }
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace switchboard::controlplane
