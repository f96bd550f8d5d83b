#pragma once
// AdminService (admin.proto): reads and changes the config, lists versions,
// data planes and cluster stats. Every call needs the admin token (when one is
// configured). Mutations go through ConfigManager::Mutate, which serializes,
// validates, persists and publishes them.
//
// Thread-safety: stateless apart from references; handlers run on gRPC
// callback threads and finish before returning (a mutation blocks for the
// state file's fsync, a few milliseconds).

#include <grpcpp/grpcpp.h>

#include "controlplane/auth.h"
#include "controlplane/config_manager.h"
#include "controlplane/dataplane_registry.h"
#include "controlplane/stats_aggregator.h"
#include "switchboard/controlplane/v1/admin.grpc.pb.h"

namespace switchboard::controlplane {

namespace v1 = ::switchboard::controlplane::v1;

class AdminService final : public v1::AdminService::CallbackService {
 public:
  // Every reference outlives the gRPC server.
  AdminService(ConfigManager& configs, DataPlaneRegistry& registry, StatsAggregator& stats, const Token& token,
               Counters& counters)
      : configs_(configs), registry_(registry), stats_(stats), token_(token), counters_(counters) {}

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;

  Reactor* GetConfig(Ctx* ctx, const v1::GetConfigRequest* req, v1::GetConfigResponse* resp) override;
  Reactor* ValidateConfig(Ctx* ctx, const v1::ApplyConfigRequest* req, v1::ValidateConfigResponse* resp) override;
  Reactor* ApplyConfig(Ctx* ctx, const v1::ApplyConfigRequest* req, v1::MutationResponse* resp) override;
  Reactor* SetWeights(Ctx* ctx, const v1::SetWeightsRequest* req, v1::MutationResponse* resp) override;
  Reactor* PutModelProvider(Ctx* ctx, const v1::PutModelProviderRequest* req, v1::MutationResponse* resp) override;
  Reactor* DeleteModelProvider(Ctx* ctx, const v1::DeleteRequest* req, v1::MutationResponse* resp) override;
  Reactor* PutKeyProvider(Ctx* ctx, const v1::PutKeyProviderRequest* req, v1::MutationResponse* resp) override;
  Reactor* DeleteKeyProvider(Ctx* ctx, const v1::DeleteRequest* req, v1::MutationResponse* resp) override;
  Reactor* PutProcessorChain(Ctx* ctx, const v1::PutProcessorChainRequest* req, v1::MutationResponse* resp) override;
  Reactor* DeleteProcessorChain(Ctx* ctx, const v1::DeleteRequest* req, v1::MutationResponse* resp) override;
  Reactor* ListVersions(Ctx* ctx, const v1::ListVersionsRequest* req, v1::ListVersionsResponse* resp) override;
  Reactor* Rollback(Ctx* ctx, const v1::RollbackRequest* req, v1::MutationResponse* resp) override;
  Reactor* ListDataPlanes(Ctx* ctx, const v1::ListDataPlanesRequest* req, v1::ListDataPlanesResponse* resp) override;
  Reactor* GetStats(Ctx* ctx, const v1::GetStatsRequest* req, v1::GetStatsResponse* resp) override;

 private:
  // Finishes `ctx` with UNAUTHENTICATED and returns its reactor, or returns
  // nullptr when the caller may go on.
  Reactor* Refuse(Ctx* ctx);
  // Runs a change through ConfigManager::Mutate and finishes the call.
  Reactor* Mutate(Ctx* ctx, const char* rpc, std::optional<uint64_t> expected, v1::MutationResponse* resp,
                  const ConfigManager::Change& change);
  // Finishes a mutation call with its result or error.
  Reactor* FinishMutation(Ctx* ctx, const char* rpc, const ConfigManager::Result* result,
                          const absl::Status& status, v1::MutationResponse* resp);
  std::string AuthorOf(const Ctx& ctx) const;

  ConfigManager& configs_;
  DataPlaneRegistry& registry_;
  StatsAggregator& stats_;
  const Token& token_;
  Counters& counters_;
};

}  // namespace switchboard::controlplane
