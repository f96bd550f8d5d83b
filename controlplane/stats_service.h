#pragma once
// StatsService.ReportStats (stats.proto): data planes' periodic per-model
// reports, checked like discovery streams (data-plane token, client
// certificate when required) and summed by the StatsAggregator.
//
// Thread-safety: stateless apart from references; called on gRPC callback
// threads.

#include <grpcpp/grpcpp.h>

#include "controlplane/auth.h"
#include "controlplane/dataplane_registry.h"
#include "controlplane/stats_aggregator.h"
#include "switchboard/controlplane/v1/stats.grpc.pb.h"

namespace switchboard::controlplane {

class StatsService final : public controlplane::v1::StatsService::CallbackService {
 public:
  // Every reference outlives the gRPC server.
  StatsService(StatsAggregator& stats, DataPlaneRegistry& registry, const Token& token, Counters& counters,
               bool require_client_cert)
      : stats_(stats), registry_(registry), token_(token), counters_(counters), require_client_cert_(require_client_cert) {}

  grpc::ServerUnaryReactor* ReportStats(grpc::CallbackServerContext* context,
                                        const controlplane::v1::StatsReport* request,
                                        controlplane::v1::ReportStatsResponse* response) override;

 private:
  StatsAggregator& stats_;
  DataPlaneRegistry& registry_;
  const Token& token_;
  Counters& counters_;
  bool require_client_cert_;
};

// absl::Status -> grpc::Status (same code numbers).
grpc::Status ToGrpc(const absl::Status& status);

}  // namespace switchboard::controlplane
