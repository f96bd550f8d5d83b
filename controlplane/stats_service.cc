#include "controlplane/stats_service.h"

#include "controlplane/discovery_service.h"

namespace switchboard::controlplane {

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

grpc::ServerUnaryReactor* StatsService::ReportStats(grpc::CallbackServerContext* context,
                                                    const controlplane::v1::StatsReport* request,
                                                    controlplane::v1::ReportStatsResponse* response) {
  auto* reactor = context->DefaultReactor();
  grpc::Status allowed = CheckDataPlane(*context, token_, require_client_cert_);
  if (!allowed.ok()) {
    counters_.unauthenticated.fetch_add(1, std::memory_order_relaxed);
    reactor->Finish(allowed);
    return reactor;
  }
  absl::Status reported = stats_.Report(*request);
  if (reported.ok()) registry_.RecordStatsReport(request->node_id());
  reactor->Finish(ToGrpc(reported));
  return reactor;
}

}  // namespace switchboard::controlplane
