#pragma once
// Shared set-up for the control plane's integration tests: a real
// `switchboard-controlplane`, managed `switchboard-dataplane` replicas, a
// fake upstream, and a gRPC admin client.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "switchboard/controlplane/v1/admin.grpc.pb.h"
#include "switchboard/controlplane/v1/stats.grpc.pb.h"
#include "tests/integration/harness/controlplane_process.h"
#include "tests/integration/harness/fake_upstream.h"
#include "tests/integration/harness/http_client.h"
#include "tests/integration/harness/temp_dir.h"

namespace switchboard::testing {

namespace cpv1 = ::switchboard::controlplane::v1;

inline constexpr std::chrono::seconds kStartTimeout{10};

// Two trivial models, `alpha` and `beta`, each answering with its own text in
// several streamed chunks, and `pick`, a random provider over them with
// weights alpha=1, beta=0.000001 (practically always alpha).
std::string ClusterConfig();
// What alpha and beta answer.
inline constexpr const char* kAlphaText =
    "alpha says one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen";
inline constexpr const char* kBetaText =
    "beta says red orange yellow green blue indigo violet black white grey pink brown cyan magenta gold silver";

class ControlPlaneTest : public ::testing::Test {
 protected:
  void TearDown() override;

  // Writes `yaml` as the config file (once) and starts the control plane on
  // the test's state directory; fails the test unless it becomes ready.
  // Call through ASSERT_NO_FATAL_FAILURE.
  void StartControlPlane(const std::string& yaml, ControlPlaneProcess::Options options = {});
  // Starts a managed data plane subscribed to the control plane; waits until
  // it listens (not until it is configured: see WaitReadyz).
  ManagedDataPlaneProcess& StartDataPlane(const std::string& node_id, const EnvVars& env = {},
                                          const std::vector<std::string>& extra_args = {});
  // True once the data plane's /readyz answers 200.
  bool WaitReadyz(const ManagedDataPlaneProcess& dataplane, std::chrono::milliseconds timeout) const;

  // A context for an admin call, with `authorization: Bearer <admin_token_>`
  // when set, and a 10 s deadline.
  std::unique_ptr<grpc::ClientContext> AdminContext() const;
  cpv1::AdminService::Stub& admin() const { return *admin_; }

  // Calls that must succeed (they fail the test otherwise and return {}).
  uint64_t SetWeights(const std::string& name, const std::map<std::string, double>& weights);
  cpv1::ListDataPlanesResponse ListDataPlanes() const;
  uint64_t CurrentVersion() const;

  // True once every named data plane reports `version` applied (and is
  // connected); polls ListDataPlanes.
  bool WaitApplied(const std::vector<std::string>& node_ids, uint64_t version, std::chrono::milliseconds timeout) const;

  // Sends `n` non-streamed requests for `model` to `dataplane`; returns how
  // many each routed model answered (x-switchboard-model), with "error" for
  // anything but a 200.
  std::map<std::string, int> RouteCounts(const ManagedDataPlaneProcess& dataplane, const std::string& model, int n) const;

  // The control plane's /metrics text.
  std::string ControlPlaneMetrics() const;

  TempDir dir_;
  FakeUpstream upstream_;
  HttpClient client_;
  std::string config_file_;
  std::string state_dir_;
  std::string admin_token_;
  std::unique_ptr<ControlPlaneProcess> controlplane_;
  std::vector<std::unique_ptr<ManagedDataPlaneProcess>> dataplanes_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<cpv1::AdminService::Stub> admin_;
};

}  // namespace switchboard::testing
