#include "tests/integration/controlplane_fixture.h"

#include <iostream>
#include <thread>

namespace switchboard::testing {

std::string ClusterConfig() {
  return std::string("modelProviders:\n") +
         "  alpha: {type: trivial, output: \"" + kAlphaText + "\", chunkDelayMs: 4}\n" +
         "  beta: {type: trivial, output: \"" + kBetaText + "\", chunkDelayMs: 4}\n" +
         "  pick: {type: random, modelWeights: {alpha: 1, beta: 0.000001}}\n";
}

void ControlPlaneTest::TearDown() {
  if (!HasFailure()) return;
  if (controlplane_) std::cerr << "--- control plane logs ---\n" << controlplane_->LogText();
  for (const auto& dp : dataplanes_) std::cerr << "--- data plane " << dp->node_id() << " logs ---\n" << dp->LogText();
}

void ControlPlaneTest::StartControlPlane(const std::string& yaml, ControlPlaneProcess::Options options) {
  if (config_file_.empty()) config_file_ = dir_.WriteFile("config.yaml", yaml);
  state_dir_ = dir_.path() + "/state";
  controlplane_ = std::make_unique<ControlPlaneProcess>(SWITCHBOARD_CONTROLPLANE_BIN, config_file_, state_dir_, options);
  if (!controlplane_->WaitReady(kStartTimeout)) {
    FAIL() << "control plane not ready\n" << controlplane_->LogText();
  }
  channel_ = grpc::CreateChannel(controlplane_->grpc(), grpc::InsecureChannelCredentials());
  admin_ = cpv1::AdminService::NewStub(channel_);
}

ManagedDataPlaneProcess& ControlPlaneTest::StartDataPlane(const std::string& node_id, const EnvVars& env,
                                                          const std::vector<std::string>& extra_args) {
  auto dp = std::make_unique<ManagedDataPlaneProcess>(SWITCHBOARD_DATAPLANE_BIN, controlplane_->grpc(), node_id,
                                                      extra_args, env);
  EXPECT_TRUE(dp->WaitReady(kStartTimeout)) << dp->LogText();
  dataplanes_.push_back(std::move(dp));
  return *dataplanes_.back();
}

bool ControlPlaneTest::WaitReadyz(const ManagedDataPlaneProcess& dataplane, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  ClientOptions options;
  options.timeout = std::chrono::milliseconds(1000);
  HttpClient quick(options);
  while (std::chrono::steady_clock::now() < deadline) {
    if (quick.Get(dataplane.admin(), "/readyz").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::unique_ptr<grpc::ClientContext> ControlPlaneTest::AdminContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!admin_token_.empty()) context->AddMetadata("authorization", "Bearer " + admin_token_);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

uint64_t ControlPlaneTest::SetWeights(const std::string& name, const std::map<std::string, double>& weights) {
  cpv1::SetWeightsRequest request;
  request.set_name(name);
  for (const auto& [member, weight] : weights) (*request.mutable_weights())[member] = weight;
  cpv1::MutationResponse response;
  grpc::Status status = admin_->SetWeights(AdminContext().get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.version();
}

cpv1::ListDataPlanesResponse ControlPlaneTest::ListDataPlanes() const {
  cpv1::ListDataPlanesResponse response;
  grpc::Status status = admin_->ListDataPlanes(AdminContext().get(), {}, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

uint64_t ControlPlaneTest::CurrentVersion() const {
  cpv1::GetConfigResponse response;
  grpc::Status status = admin_->GetConfig(AdminContext().get(), {}, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.version();
}

bool ControlPlaneTest::WaitApplied(const std::vector<std::string>& node_ids, uint64_t version,
                                   std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    cpv1::ListDataPlanesResponse response;
    if (admin_->ListDataPlanes(AdminContext().get(), {}, &response).ok()) {
      size_t done = 0;
      for (const auto& dp : response.data_planes()) {
        for (const auto& id : node_ids) {
          if (dp.node_id() == id && dp.connected() && dp.applied_version() == version) ++done;
        }
      }
      if (done == node_ids.size()) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

std::map<std::string, int> ControlPlaneTest::RouteCounts(const ManagedDataPlaneProcess& dataplane,
                                                         const std::string& model, int n) const {
  std::map<std::string, int> counts;
  nlohmann::json body = {{"model", model}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"stream", false}};
  for (int i = 0; i < n; ++i) {
    HttpResponse response = client_.Request("POST", dataplane.api(), "/v1/chat/completions", body.dump());
    auto routed = response.Header("x-switchboard-model");
    ++counts[response.status == 200 && routed ? *routed : "error"];
  }
  return counts;
}

std::string ControlPlaneTest::ControlPlaneMetrics() const {
  HttpResponse response = client_.Get(controlplane_->metrics(), "/metrics");
  EXPECT_EQ(response.status, 200) << response.error;
  return response.body;
}

}  // namespace switchboard::testing
