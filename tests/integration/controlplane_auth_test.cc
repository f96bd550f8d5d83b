// Tokens, refusal to listen beyond loopback without them, and keys that never
// leave the control plane through the admin API.

#include <fstream>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "tests/integration/controlplane_fixture.h"
#include "tests/integration/harness/buf_curl.h"
#include "tests/integration/harness/test_ca.h"

namespace switchboard::testing {
namespace {

using std::chrono::milliseconds;

constexpr const char* kAdminToken = "admin-token-1b6f0c";
constexpr const char* kDataPlaneToken = "dataplane-token-93aa27";

class ControlPlaneAuthTest : public ControlPlaneTest {
 protected:
  void StartWithTokens(const std::string& yaml) {
    ControlPlaneProcess::Options options;
    options.extra_args = {"--admin-token-file", dir_.WriteFile("admin.token", std::string(kAdminToken) + "\n"),
                          "--dataplane-token-file", dir_.WriteFile("dataplane.token", kDataPlaneToken)};
    ASSERT_NO_FATAL_FAILURE(StartControlPlane(yaml, options));
  }

  grpc::Status GetConfigWith(const std::string& authorization) {
    grpc::ClientContext context;
    if (!authorization.empty()) context.AddMetadata("authorization", authorization);
    cpv1::GetConfigResponse response;
    return admin().GetConfig(&context, {}, &response);
  }
};

TEST_F(ControlPlaneAuthTest, AdminCallsNeedTheAdminToken) {
  ASSERT_NO_FATAL_FAILURE(StartWithTokens(ClusterConfig()));
  EXPECT_EQ(GetConfigWith("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GetConfigWith("Bearer wrong-token").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GetConfigWith(std::string("Bearer ") + kDataPlaneToken).error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << "the data-plane token is not an admin token";
  EXPECT_EQ(GetConfigWith(kAdminToken).error_code(), grpc::StatusCode::UNAUTHENTICATED) << "no Bearer";
  EXPECT_TRUE(GetConfigWith(std::string("Bearer ") + kAdminToken).ok());

  // Mutations too, and a refused one changes nothing.
  grpc::ClientContext context;
  cpv1::SetWeightsRequest request;
  request.set_name("pick");
  (*request.mutable_weights())["beta"] = 1;
  cpv1::MutationResponse response;
  EXPECT_EQ(admin().SetWeights(&context, request, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  admin_token_ = kAdminToken;
  EXPECT_EQ(CurrentVersion(), 1u);

  // Health and reflection need no token (Kubernetes probes, grpcurl list).
  BufCurlResult health = RunBufCurl(SWITCHBOARD_BUF_BIN,
                                    {"--protocol", "grpc", "--http2-prior-knowledge", "-d", "{}",
                                     "http://" + controlplane_->grpc() + "/grpc.health.v1.Health/Check"},
                                    milliseconds(30'000));
  EXPECT_EQ(health.exit_code, 0) << health.output;
  EXPECT_NE(health.output.find("SERVING"), std::string::npos) << health.output;
}

TEST_F(ControlPlaneAuthTest, DataPlanesNeedTheDataPlaneToken) {
  ASSERT_NO_FATAL_FAILURE(StartWithTokens(ClusterConfig()));
  admin_token_ = kAdminToken;
  auto& wrong = StartDataPlane("dp-wrong", {{"SWITCHBOARD_DATAPLANE_TOKEN", kAdminToken}});
  auto& none = StartDataPlane("dp-none");
  auto& right = StartDataPlane("dp-right", {{"SWITCHBOARD_DATAPLANE_TOKEN", kDataPlaneToken}});
  ASSERT_TRUE(WaitApplied({"dp-right"}, 1, milliseconds(10'000)));
  EXPECT_TRUE(WaitReadyz(right, milliseconds(5000)));
  for (auto* dp : {&wrong, &none}) {
    EXPECT_TRUE(dp->WaitForLog("control plane refused this data plane", milliseconds(5000))) << dp->LogText();
    EXPECT_EQ(client_.Get(dp->admin(), "/readyz").status, 503);
  }
  auto planes = ListDataPlanes();
  ASSERT_EQ(planes.data_planes_size(), 1) << planes.DebugString();
  EXPECT_EQ(planes.data_planes(0).node_id(), "dp-right");

  // Stats reports are checked the same way.
  auto stats = cpv1::StatsService::NewStub(channel_);
  cpv1::StatsReport report;
  report.set_node_id("intruder");
  report.set_instance_id("x");
  cpv1::ReportStatsResponse response;
  grpc::ClientContext context;
  EXPECT_EQ(stats->ReportStats(&context, report, &response).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(controlplane_->WaitForLog("data-plane stream refused", milliseconds(1000)));
}

TEST_F(ControlPlaneAuthTest, ListeningBeyondLoopbackWithoutTokensIsRefused) {
  config_file_ = dir_.WriteFile("config.yaml", ClusterConfig());
  ControlPlaneProcess::Options options;
  options.listen = "0.0.0.0:0";
  ControlPlaneProcess refused(SWITCHBOARD_CONTROLPLANE_BIN, config_file_, dir_.path() + "/state", options);
  std::optional<int> exit = refused.WaitExit(milliseconds(10'000));
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(*exit, 2);
  EXPECT_NE(refused.LogText().find("refusing to listen beyond loopback without tokens"), std::string::npos)
      << refused.LogText();

  // On loopback without tokens it starts, and says so.
  ASSERT_NO_FATAL_FAILURE(StartControlPlane(ClusterConfig()));
  EXPECT_TRUE(controlplane_->WaitForLog("no token configured", milliseconds(1000)));
}

TEST_F(ControlPlaneAuthTest, GetConfigNeverContainsAKeyValue) {
  std::string yaml = ClusterConfig() + "  up: {type: genericoai, url: \"http://" + upstream_.host_port() +
                     "/v1\", modelName: m}\n" +
                     "keyProviders:\n"
                     "  file-key: {type: literal, key: sk-from-the-file-5d1e, modelTargets: [\"^up$\"]}\n"
                     "  env-key: {type: environment, envVar: SB_TEST_ENV_KEY, modelTargets: [\"^nothing$\"]}\n";
  ASSERT_NO_FATAL_FAILURE(StartWithTokens(yaml));
  admin_token_ = kAdminToken;
  auto& dp = StartDataPlane("dp-a", {{"SWITCHBOARD_DATAPLANE_TOKEN", kDataPlaneToken},
                                     {"SB_TEST_ENV_KEY", "sk-env-value-77c2"}});
  ASSERT_TRUE(WaitApplied({"dp-a"}, 1, milliseconds(10'000)));

  // A key written through the API (write-only) replaces the file's.
  cpv1::PutKeyProviderRequest put;
  put.set_name("file-key");
  put.mutable_provider()->set_type("literal");
  put.mutable_provider()->set_key("sk-put-by-admin-c3a9");
  put.mutable_provider()->add_model_targets("^up$");
  cpv1::MutationResponse response;
  ASSERT_TRUE(admin().PutKeyProvider(AdminContext().get(), put, &response).ok());
  ASSERT_TRUE(WaitApplied({"dp-a"}, response.version(), milliseconds(5000)));

  cpv1::GetConfigResponse config;
  ASSERT_TRUE(admin().GetConfig(AdminContext().get(), {}, &config).ok());
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(config, &json).ok());
  for (const char* secret : {"sk-from-the-file-5d1e", "sk-put-by-admin-c3a9", "sk-env-value-77c2"}) {
    EXPECT_EQ(json.find(secret), std::string::npos) << secret << " in " << json;
  }
  // Name, type, targets and the variable's name stay.
  const auto& keys = config.config().key_providers();
  EXPECT_EQ(keys.at("file-key").type(), "literal");
  EXPECT_EQ(keys.at("file-key").model_targets(0), "^up$");
  EXPECT_EQ(keys.at("env-key").env_var(), "SB_TEST_ENV_KEY");

  cpv1::ListVersionsResponse versions;
  ASSERT_TRUE(admin().ListVersions(AdminContext().get(), {}, &versions).ok());
  EXPECT_EQ(versions.DebugString().find("sk-"), std::string::npos) << versions.DebugString();
  EXPECT_NE(versions.versions(0).author().find("admin@127.0.0.1"), std::string::npos);

  // The data plane got the key all the same.
  nlohmann::json body = {{"model", "up"}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}};
  HttpResponse answer = client_.Request("POST", dp.api(), "/v1/chat/completions", body.dump());
  EXPECT_EQ(answer.status, 200) << answer.body;
  ASSERT_EQ(upstream_.Requests().size(), 1u);
  EXPECT_EQ(upstream_.Requests()[0].Header("authorization").value_or(""), "Bearer sk-put-by-admin-c3a9");
  EXPECT_EQ(controlplane_->LogText().find("sk-put-by-admin-c3a9"), std::string::npos) << "never logged";
}

// A client CA and a client certificate it signs (extendedKeyUsage
// clientAuth), made with the openssl command line in `dir`.
struct ClientCert {
  std::string ca;
  std::string cert;
  std::string key;
};
ClientCert MakeClientCert(const TempDir& dir) {
  std::string d = dir.path();
  std::string ext = dir.WriteFile("client.ext", "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n");
  std::vector<std::vector<std::string>> commands = {
      {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/client-ca.key", "-out", d + "/client-ca.pem",
       "-days", "2", "-subj", "/CN=switchboard test client CA"},
      {"req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/client.key", "-out", d + "/client.csr", "-subj",
       "/CN=dp-tls"},
      {"x509", "-req", "-in", d + "/client.csr", "-CA", d + "/client-ca.pem", "-CAkey", d + "/client-ca.key",
       "-CAcreateserial", "-out", d + "/client.pem", "-days", "2", "-extfile", ext},
  };
  for (const auto& args : commands) {
    ChildProcess openssl("/usr/bin/openssl", args);
    std::optional<int> exit = openssl.WaitExit(milliseconds(30'000));
    EXPECT_EQ(exit.value_or(-1), 0) << openssl.LogText();
  }
  return {d + "/client-ca.pem", d + "/client.pem", d + "/client.key"};
}

TEST_F(ControlPlaneAuthTest, TlsWithClientCertificatesForDataPlanes) {
  TestCa server_ca;
  CertFiles server = server_ca.IssueLeaf("controlplane", {"127.0.0.1", "localhost"});
  ClientCert client = MakeClientCert(dir_);
  ControlPlaneProcess::Options options;
  options.extra_args = {"--tls-cert", server.cert, "--tls-key", server.key, "--tls-client-ca", client.ca};
  config_file_ = dir_.WriteFile("config.yaml", ClusterConfig());
  controlplane_ = std::make_unique<ControlPlaneProcess>(SWITCHBOARD_CONTROLPLANE_BIN, config_file_,
                                                        dir_.path() + "/state", options);
  ASSERT_TRUE(controlplane_->WaitReady(kStartTimeout)) << controlplane_->LogText();

  // Admins need no client certificate, only to trust the server's.
  std::ifstream ca_in(server_ca.ca_file());
  std::string ca_pem((std::istreambuf_iterator<char>(ca_in)), std::istreambuf_iterator<char>());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca_pem;
  channel_ = grpc::CreateChannel(controlplane_->grpc(), grpc::SslCredentials(ssl));
  admin_ = cpv1::AdminService::NewStub(channel_);
  EXPECT_EQ(CurrentVersion(), 1u);
  auto plaintext = cpv1::AdminService::NewStub(
      grpc::CreateChannel(controlplane_->grpc(), grpc::InsecureChannelCredentials()));
  cpv1::GetConfigResponse ignored;
  EXPECT_FALSE(plaintext->GetConfig(AdminContext().get(), {}, &ignored).ok());

  auto& good = StartDataPlane("dp-tls", {}, {"--control-plane-ca", server_ca.ca_file(), "--control-plane-cert",
                                             client.cert, "--control-plane-key", client.key});
  auto& no_cert = StartDataPlane("dp-no-cert", {}, {"--control-plane-ca", server_ca.ca_file()});
  ASSERT_TRUE(WaitApplied({"dp-tls"}, 1, milliseconds(10'000)));
  EXPECT_TRUE(WaitReadyz(good, milliseconds(5000)));
  EXPECT_TRUE(no_cert.WaitForLog("control plane refused this data plane", milliseconds(5000))) << no_cert.LogText();
  EXPECT_EQ(ListDataPlanes().data_planes_size(), 1);
}

}  // namespace
}  // namespace switchboard::testing
