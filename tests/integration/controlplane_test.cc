// The control plane with real data planes: live weights, invalid changes,
// NACKs, control-plane restarts, stats.

#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "tests/integration/controlplane_fixture.h"
#include "tests/integration/harness/prom_text.h"

namespace switchboard::testing {
namespace {

using std::chrono::milliseconds;

// With weights 1 : 0.000001 the light member gets a request with probability
// 1e-6; 3 or more of 200 happen with probability below 1e-12. The bounds
// below cannot flake.
constexpr int kRequests = 200;
constexpr int kMinHeavy = kRequests - 2;

TEST_F(ControlPlaneTest, SetWeightsReachesBothDataPlanesWithinASecondAndRoutesByTheNewWeights) {
  ASSERT_NO_FATAL_FAILURE(StartControlPlane(ClusterConfig()));
  auto& a = StartDataPlane("dp-a");
  auto& b = StartDataPlane("dp-b");
  ASSERT_TRUE(WaitApplied({"dp-a", "dp-b"}, 1, milliseconds(10'000)));
  ASSERT_TRUE(WaitReadyz(a, milliseconds(5000)));
  ASSERT_TRUE(WaitReadyz(b, milliseconds(5000)));
  for (auto* dp : {&a, &b}) {
    auto counts = RouteCounts(*dp, "pick", kRequests);
    EXPECT_GE(counts["alpha"], kMinHeavy) << dp->node_id();
    EXPECT_EQ(counts["error"], 0);
  }

  auto start = std::chrono::steady_clock::now();
  uint64_t version = SetWeights("pick", {{"alpha", 0.000001}, {"beta", 1}});
  ASSERT_EQ(version, 2u);
  ASSERT_TRUE(WaitApplied({"dp-a", "dp-b"}, 2, milliseconds(1000))) << "both data planes ACK within a second";
  auto elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  std::cout << "[ measured ] SetWeights to both ACKs: " << elapsed.count() << " ms\n";
  RecordProperty("set_weights_to_both_acks_ms", static_cast<int>(elapsed.count()));

  int sent = 0;
  for (auto* dp : {&a, &b}) {
    auto counts = RouteCounts(*dp, "pick", kRequests);
    sent += kRequests;
    EXPECT_GE(counts["beta"], kMinHeavy) << dp->node_id();
    EXPECT_EQ(counts["error"], 0);
  }

  // The data planes' own view agrees: version and weights on their /metrics.
  for (auto* dp : {&a, &b}) {
    auto samples = ParsePromText(client_.Get(dp->admin(), "/metrics").body);
    EXPECT_EQ(SumSamples(samples, "switchboard_config_version"), 2);
    EXPECT_EQ(SumSamples(samples, "switchboard_route_weight", {{"random_model", "pick"}, {"target", "beta"}}), 1);
  }

  // Stats: the cluster view sums both data planes' reports (every 0.2 s).
  int expected_total = 4 * kRequests;
  auto deadline = std::chrono::steady_clock::now() + milliseconds(10'000);
  cpv1::GetStatsResponse stats;
  uint64_t total = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    stats.Clear();
    ASSERT_TRUE(admin().GetStats(AdminContext().get(), {}, &stats).ok());
    total = 0;
    for (const auto& model : stats.models()) total += model.requests();
    if (total == static_cast<uint64_t>(expected_total)) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_EQ(total, static_cast<uint64_t>(expected_total)) << stats.DebugString();
  EXPECT_EQ(stats.reporting_processes(), 2u);
  for (const auto& model : stats.models()) {
    EXPECT_EQ(model.requests_by_code_class().at("2xx"), model.requests());
    EXPECT_GT(model.completion_tokens(), 0u);
    EXPECT_EQ(model.duration().count(), model.requests());
    EXPECT_GT(model.duration().p95_seconds(), 0);
    EXPECT_GE(model.duration().p95_seconds(), model.duration().p50_seconds());
  }
  (void)sent;

  std::string text = ControlPlaneMetrics();
  auto samples = ParsePromText(text);
  EXPECT_EQ(SumSamples(samples, "switchboard_cluster_requests_total"), expected_total);
  EXPECT_EQ(SumSamples(samples, "switchboard_controlplane_connected_dataplanes"), 2);
  EXPECT_EQ(SumSamples(samples, "switchboard_controlplane_config_version"), 2);
  EXPECT_EQ(SumSamples(samples, "switchboard_controlplane_dataplane_applied_version", {{"node_id", "dp-a"}}), 2);
  EXPECT_GE(SumSamples(samples, "switchboard_controlplane_acks_total"), 4);
  CommandResult promtool = PromtoolCheckMetrics(text);
  EXPECT_EQ(promtool.exit_code, 0) << promtool.output;
}

TEST_F(ControlPlaneTest, InvalidChangeIsRefusedAndNothingIsPushed) {
  ASSERT_NO_FATAL_FAILURE(StartControlPlane(ClusterConfig()));
  StartDataPlane("dp-a");
  ASSERT_TRUE(WaitApplied({"dp-a"}, 1, milliseconds(10'000)));
  double pushes_before = SumSamples(ParsePromText(ControlPlaneMetrics()), "switchboard_controlplane_pushes_total");

  cpv1::SetWeightsRequest unknown;
  unknown.set_name("pick");
  (*unknown.mutable_weights())["gamma"] = 1;
  cpv1::MutationResponse response;
  grpc::Status status = admin().SetWeights(AdminContext().get(), unknown, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "modelProviders.pick.modelWeights.gamma: unknown model provider 'gamma'");

  cpv1::SetWeightsRequest zero;
  zero.set_name("pick");
  (*zero.mutable_weights())["alpha"] = 0;
  status = admin().SetWeights(AdminContext().get(), zero, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("weight must be a finite number > 0"), std::string::npos);

  cpv1::SetWeightsRequest not_random;
  not_random.set_name("alpha");
  (*not_random.mutable_weights())["beta"] = 1;
  status = admin().SetWeights(AdminContext().get(), not_random, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("needs a provider of type 'random'"), std::string::npos);

  cpv1::ApplyConfigRequest broken;
  broken.set_text("modelProviders:\n  a: {type: trivial}\n  r: {type: random, modelList: [a, nope]}\n");
  status = admin().ApplyConfig(AdminContext().get(), broken, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("request:3: modelProviders.r.modelList[1]"), std::string::npos)
      << status.error_message();

  cpv1::DeleteRequest member;
  member.set_name("beta");  // still a member of pick
  status = admin().DeleteModelProvider(AdminContext().get(), member, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  cpv1::SetWeightsRequest stale;
  stale.set_name("pick");
  (*stale.mutable_weights())["alpha"] = 2;
  stale.set_expected_version(7);
  status = admin().SetWeights(AdminContext().get(), stale, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  EXPECT_EQ(CurrentVersion(), 1u);
  cpv1::ListVersionsResponse versions;
  ASSERT_TRUE(admin().ListVersions(AdminContext().get(), {}, &versions).ok());
  EXPECT_EQ(versions.versions_size(), 1);
  auto samples = ParsePromText(ControlPlaneMetrics());
  EXPECT_EQ(SumSamples(samples, "switchboard_controlplane_pushes_total"), pushes_before) << "nothing pushed";
  EXPECT_EQ(SumSamples(samples, "switchboard_controlplane_config_changes_total", {{"result", "rejected"}}), 6);
  auto planes = ListDataPlanes();
  ASSERT_EQ(planes.data_planes_size(), 1);
  EXPECT_EQ(planes.data_planes(0).sent_version(), 1u);
}

TEST_F(ControlPlaneTest, ChangeOneDataPlaneCannotApplyIsNackedAndItKeepsServingTheOldVersion) {
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.SendJson(200, {{"id", "x"},
                          {"object", "chat.completion"},
                          {"created", 1},
                          {"model", "m"},
                          {"choices", {{{"index", 0},
                                        {"message", {{"role", "assistant"}, {"content", "from upstream"}}},
                                        {"finish_reason", "stop"}}}}});
  });
  std::string yaml = ClusterConfig() + "  up: {type: genericoai, url: \"http://" + upstream_.host_port() +
                     "/v1\", modelName: m}\n";
  ASSERT_NO_FATAL_FAILURE(StartControlPlane(yaml));
  auto& a = StartDataPlane("dp-a", {{"SB_ONLY_A_KEY", "sk-only-on-a"}});
  auto& b = StartDataPlane("dp-b");
  ASSERT_TRUE(WaitApplied({"dp-a", "dp-b"}, 1, milliseconds(10'000)));

  // An environment key only dp-a has.
  cpv1::PutKeyProviderRequest put;
  put.set_name("only-a");
  put.mutable_provider()->set_type("environment");
  put.mutable_provider()->set_env_var("SB_ONLY_A_KEY");
  put.mutable_provider()->add_model_targets("^up$");
  cpv1::MutationResponse response;
  grpc::Status status = admin().PutKeyProvider(AdminContext().get(), put, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.version(), 2u);

  ASSERT_TRUE(WaitApplied({"dp-a"}, 2, milliseconds(5000)));
  // dp-b refuses version 2 and keeps serving version 1.
  auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
  cpv1::DataPlaneInfo info_b;
  while (std::chrono::steady_clock::now() < deadline) {
    auto planes = ListDataPlanes();
    for (const auto& dp : planes.data_planes()) {
      if (dp.node_id() == "dp-b") info_b = dp;
    }
    if (info_b.rejected_version() == 2) break;
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(info_b.rejected_version(), 2u);
  EXPECT_EQ(info_b.applied_version(), 1u);
  EXPECT_EQ(info_b.last_error().code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(info_b.last_error().message(), "keyProviders.only-a.envVar: environment variable SB_ONLY_A_KEY is not set");
  EXPECT_TRUE(info_b.has_last_error_time());

  nlohmann::json body = {{"model", "up"}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}};
  HttpResponse from_a = client_.Request("POST", a.api(), "/v1/chat/completions", body.dump());
  HttpResponse from_b = client_.Request("POST", b.api(), "/v1/chat/completions", body.dump());
  EXPECT_EQ(from_a.status, 200) << from_a.body;
  EXPECT_EQ(from_b.status, 200) << from_b.body;
  auto requests = upstream_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].Header("authorization").value_or(""), "Bearer sk-only-on-a") << "dp-a runs version 2";
  EXPECT_FALSE(requests[1].Header("authorization").has_value()) << "dp-b still runs version 1, which has no key";

  auto dp_b_metrics = ParsePromText(client_.Get(b.admin(), "/metrics").body);
  EXPECT_EQ(SumSamples(dp_b_metrics, "switchboard_config_version"), 1);
  EXPECT_GE(SumSamples(dp_b_metrics, "switchboard_config_updates_total", {{"result", "rejected"}}), 1);
  EXPECT_GE(SumSamples(ParsePromText(ControlPlaneMetrics()), "switchboard_controlplane_nacks_total"), 1);
}

TEST_F(ControlPlaneTest, DataPlanesServeWithoutTheControlPlaneAndReconnectToItsRestartWithWeightsKept) {
  ASSERT_NO_FATAL_FAILURE(StartControlPlane(ClusterConfig()));
  auto& a = StartDataPlane("dp-a");
  auto& b = StartDataPlane("dp-b");
  ASSERT_EQ(SetWeights("pick", {{"alpha", 0.000001}, {"beta", 1}}), 2u);
  ASSERT_TRUE(WaitApplied({"dp-a", "dp-b"}, 2, milliseconds(10'000)));
  std::string address = controlplane_->grpc();

  controlplane_->Kill();
  ASSERT_TRUE(controlplane_->WaitExit(milliseconds(5000)).has_value());
  for (auto* dp : {&a, &b}) {
    ASSERT_TRUE(dp->WaitForLog("control plane stream ended", milliseconds(5000))) << dp->LogText();
    auto counts = RouteCounts(*dp, "pick", 50);
    EXPECT_EQ(counts["beta"] + counts["alpha"], 50) << "every request answered";
    EXPECT_GE(counts["beta"], 48);
    EXPECT_EQ(client_.Get(dp->admin(), "/readyz").status, 200) << "still ready: it has a good config";
  }

  // Same state directory, same address; the config file (weights alpha=1)
  // does not win over the state.
  ControlPlaneProcess::Options options;
  options.listen = address;
  ASSERT_NO_FATAL_FAILURE(StartControlPlane("", options));
  EXPECT_EQ(controlplane_->ready_version(), 2u);
  ASSERT_TRUE(WaitApplied({"dp-a", "dp-b"}, 2, milliseconds(15'000))) << "both reconnect";
  cpv1::GetConfigResponse config;
  ASSERT_TRUE(admin().GetConfig(AdminContext().get(), {}, &config).ok());
  EXPECT_EQ(config.version(), 2u);
  EXPECT_EQ(config.config().model_providers().at("pick").model_weights().at("beta"), 1);
  for (auto* dp : {&a, &b}) {
    auto counts = RouteCounts(*dp, "pick", 50);
    EXPECT_GE(counts["beta"], 48);
  }
  // And the restarted control plane pushes again.
  ASSERT_EQ(SetWeights("pick", {{"alpha", 1}, {"beta", 0.000001}}), 3u);
  ASSERT_TRUE(WaitApplied({"dp-a", "dp-b"}, 3, milliseconds(1000)));
}

TEST_F(ControlPlaneTest, ManagedDataPlaneAnswers503UntilItsFirstConfig) {
  // Where the control plane will be: a port reserved by starting it once.
  ASSERT_NO_FATAL_FAILURE(StartControlPlane(ClusterConfig()));
  std::string address = controlplane_->grpc();
  controlplane_->Terminate();
  std::optional<int> exit = controlplane_->WaitExit(milliseconds(5000));
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(*exit, 0);

  auto& dp = StartDataPlane("dp-a");
  HttpResponse readyz = client_.Get(dp.admin(), "/readyz");
  EXPECT_EQ(readyz.status, 503);
  nlohmann::json body = {{"model", "pick"}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}};
  HttpResponse chat = client_.Request("POST", dp.api(), "/v1/chat/completions", body.dump());
  EXPECT_EQ(chat.status, 503) << chat.body;
  EXPECT_EQ(chat.Json()["error"]["code"], "config_not_loaded") << chat.body;

  ControlPlaneProcess::Options options;
  options.listen = address;
  ASSERT_NO_FATAL_FAILURE(StartControlPlane("", options));
  EXPECT_TRUE(WaitReadyz(dp, milliseconds(15'000))) << "connects once the control plane is up (backoff)";
  HttpResponse served = client_.Request("POST", dp.api(), "/v1/chat/completions", body.dump());
  EXPECT_EQ(served.status, 200) << served.body;
}

TEST_F(ControlPlaneTest, ConfigIsAppliedAtLowerPriorityThanRequestsAreServed) {
  ASSERT_NO_FATAL_FAILURE(StartControlPlane(ClusterConfig()));
  auto& dp = StartDataPlane("dp-a");
  ASSERT_TRUE(WaitReadyz(dp, kStartTimeout));
  // The config subscriber, the stats reporter and the log writer name and
  // lower themselves as they start; the process's first thread (an I/O
  // thread) keeps nice 0.
  std::string seen;
  EXPECT_TRUE(WaitForThreadsAtNice(dp.pid(), {"cp-subscriber", "cp-stats", "log-writer"}, 10, milliseconds(5000), &seen))
      << seen;
  std::optional<ThreadInfo> first = ThreadOf(dp.pid(), dp.pid());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->nice, 0);
  // So does every thread but the I/O threads (which carry the process's name),
  // gRPC's own among them: its pollers read the pushes, its executor and
  // timers run its work.
  int grpc_threads = 0;
  for (const ThreadInfo& thread : ThreadsOf(dp.pid())) {
    if (thread.name == first->name) {
      EXPECT_EQ(thread.nice, 0) << "I/O thread " << thread.tid;
      continue;
    }
    EXPECT_EQ(thread.nice, 10) << thread.name << " (thread " << thread.tid << ")";
    if (thread.name != "cp-subscriber" && thread.name != "cp-stats" && thread.name != "log-writer") ++grpc_threads;
  }
  EXPECT_GT(grpc_threads, 0) << "gRPC's own threads were expected beside ours";
  // Still applies changes.
  uint64_t version = SetWeights("pick", {{"alpha", 0.000001}, {"beta", 1}});
  EXPECT_TRUE(WaitApplied({"dp-a"}, version, milliseconds(5000)));
  std::map<std::string, int> counts = RouteCounts(dp, "pick", 20);
  EXPECT_GE(counts["beta"], 19);  // two of 20 at 1e-6 each: below 1e-9
}

TEST_F(ControlPlaneTest, ManagedDataPlaneWaitingForItsControlPlaneStopsAtOnceOnSigterm) {
  // The data plane subscribes to where the control plane was: a port
  // reserved by starting it once, now closed.
  ASSERT_NO_FATAL_FAILURE(StartControlPlane(ClusterConfig()));
  controlplane_->Terminate();
  ASSERT_TRUE(controlplane_->WaitExit(milliseconds(5000)).has_value());

  // The subscribe call waits for the channel to connect; stopping cancels it.
  auto& dp = StartDataPlane("dp-a");
  EXPECT_EQ(client_.Get(dp.admin(), "/readyz").status, 503);
  dp.Terminate();
  std::optional<int> exit = dp.WaitExit(milliseconds(5000));
  ASSERT_TRUE(exit.has_value()) << "still running 5 s after SIGTERM: " << dp.LogText();
  EXPECT_EQ(*exit, 0) << dp.LogText();
  EXPECT_TRUE(dp.WaitForLog("\"stopped\"", milliseconds(1000))) << dp.LogText();
}

}  // namespace
}  // namespace switchboard::testing
