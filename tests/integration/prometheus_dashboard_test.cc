// A real Prometheus (Debian's package) scrapes a control plane and a managed
// data plane on loopback while traffic goes through a random provider to two
// models; then every PromQL expression of the Grafana dashboard is evaluated
// against that Prometheus: each must return data, and the per-model request
// counts must match what the test sent.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/integration/controlplane_fixture.h"

namespace switchboard::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using DashboardTest = ControlPlaneTest;

// A port nothing listens on right now (Prometheus cannot report a port 0
// choice back, so the test picks one; the window for a clash is tiny).
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string UrlEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The dashboard's expressions with Grafana's variables given the values a
// user would pick: this namespace, every job, every model.
std::vector<std::pair<std::string, std::string>> DashboardQueries() {
  std::ifstream in(SWITCHBOARD_DASHBOARD_JSON);
  json dashboard = json::parse(in);
  std::vector<std::pair<std::string, std::string>> queries;
  for (const auto& panel : dashboard["panels"]) {
    if (!panel.contains("targets")) continue;
    for (const auto& target : panel["targets"]) {
      std::string expr = target.value("expr", "");
      expr = std::regex_replace(expr, std::regex("\\$__rate_interval"), "1m");
      expr = std::regex_replace(expr, std::regex("\\$namespace"), "test");
      expr = std::regex_replace(expr, std::regex("\\$job"), ".*");
      expr = std::regex_replace(expr, std::regex("\\$model"), ".*");
      queries.emplace_back(panel.value("title", "?"), expr);
    }
  }
  return queries;
}

class Prometheus {
 public:
  Prometheus(const TempDir& dir, const std::string& dataplane_admin, const std::string& controlplane_metrics)
      : address_("127.0.0.1:" + std::to_string(FreePort())) {
    std::string config = dir.WriteFile(
        "prometheus.yml",
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: switchboard-dataplane\n"
        "    static_configs: [{targets: [\"" + dataplane_admin + "\"], labels: {namespace: test}}]\n"
        "  - job_name: switchboard-controlplane\n"
        "    static_configs: [{targets: [\"" + controlplane_metrics + "\"], labels: {namespace: test}}]\n");
    process_ = std::make_unique<ChildProcess>(
        "/usr/bin/prometheus",
        std::vector<std::string>{"--config.file=" + config, "--storage.tsdb.path=" + dir.path() + "/tsdb",
                                 "--web.listen-address=" + address_, "--log.level=warn"});
  }

  bool WaitReady(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (client_.Get(address_, "/-/ready").status == 200) return true;
      if (process_->WaitExit(0ms)) return false;
      std::this_thread::sleep_for(50ms);  // polling interval
    }
    return false;
  }

  // The `data.result` of an instant query, or an error text.
  json Query(const std::string& expr, std::string* error) const {
    HttpResponse response = client_.Get(address_, "/api/v1/query?query=" + UrlEncode(expr));
    json body = json::parse(response.body, nullptr, false);
    if (response.status != 200 || !body.is_object() || body.value("status", "") != "success") {
      *error = std::to_string(response.status) + " " + response.body;
      return json();
    }
    return body["data"]["result"];
  }

  std::string logs() const { return process_->LogText(); }

 private:
  std::string address_;
  HttpClient client_;
  std::unique_ptr<ChildProcess> process_;
};

TEST_F(DashboardTest, EveryPanelQueryReturnsDataFromARealPrometheus) {
  upstream_.SetHandler([](const RecordedRequest&, ResponseWriter& writer) {
    writer.SendJson(200, {{"id", "x"},
                          {"object", "chat.completion"},
                          {"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", "hi"}}}}}},
                          {"usage", {{"prompt_tokens", 2}, {"completion_tokens", 3}, {"total_tokens", 5}}}});
  });
  // The cluster's trivial models, and one upstream model (for upstream attempts and tokens).
  ASSERT_NO_FATAL_FAILURE(StartControlPlane(ClusterConfig() + "  up: {type: genericoai, url: \"http://" +
                                            upstream_.host_port() + "/v1\", modelName: m}\n"));
  ManagedDataPlaneProcess& dp = StartDataPlane("dp-1");
  ASSERT_TRUE(WaitReadyz(dp, kStartTimeout)) << dp.LogText();
  uint64_t version = SetWeights("pick", {{"alpha", 1}, {"beta", 1}});
  ASSERT_TRUE(WaitApplied({"dp-1"}, version, kStartTimeout));

  Prometheus prometheus(dir_, dp.admin(), controlplane_->metrics());
  ASSERT_TRUE(prometheus.WaitReady(30s)) << prometheus.logs();

  // Traffic over two scrape intervals at least, so that rate() has two points.
  std::map<std::string, int> sent;
  auto until = std::chrono::steady_clock::now() + 2500ms;
  while (std::chrono::steady_clock::now() < until) {
    for (const auto& [model, n] : RouteCounts(dp, "pick", 10)) sent[model] += n;
    EXPECT_EQ(RouteCounts(dp, "up", 1), (std::map<std::string, int>{{"up", 1}}));
    HttpResponse missing = client_.PostJson(dp.api(), "/v1/chat/completions",
                                            {{"model", "no-such-model"}, {"messages", json::array()}});
    EXPECT_EQ(missing.status, 404);
  }
  ASSERT_GT(sent["alpha"], 0);
  ASSERT_GT(sent["beta"], 0);
  ASSERT_EQ(sent.count("error"), 0u);

  // Wait until Prometheus has scraped the final counts.
  std::string error;
  std::map<std::string, int> scraped;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (scraped != sent && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);  // polling interval
    json result =
        prometheus.Query("sum by (routed_model) (switchboard_requests_total{requested_model=\"pick\"})", &error);
    scraped.clear();
    for (const auto& series : result) {
      scraped[series["metric"]["routed_model"]] = std::stoi(series["value"][1].get<std::string>());
    }
  }
  ASSERT_EQ(scraped, sent) << error << prometheus.logs();
  // rate() and increase() need two samples of a series: wait for the next scrapes.
  deadline = std::chrono::steady_clock::now() + 30s;
  auto samples_of = [&](const std::string& series) {
    json result = prometheus.Query("min(count_over_time(" + series + "[5m]))", &error);
    return result.empty() ? 0 : std::stoi(result[0]["value"][1].get<std::string>());
  };
  while ((samples_of("switchboard_requests_total") < 2 || samples_of("switchboard_controlplane_nacks_total") < 2) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);  // polling interval
  }

  auto queries = DashboardQueries();
  ASSERT_GE(queries.size(), 20u);
  for (const auto& [title, expr] : queries) {
    json result = prometheus.Query(expr, &error);
    ASSERT_TRUE(result.is_array()) << title << ": " << expr << "\n" << error;
    EXPECT_FALSE(result.empty()) << "no data for panel '" << title << "': " << expr;
  }

  // The per-model request rate the dashboard shows covers exactly the models sent to.
  json per_model = prometheus.Query(
      "sum by (routed_model) (rate(switchboard_requests_total{namespace=\"test\", requested_model=\"pick\"}[1m]))",
      &error);
  std::set<std::string> models;
  for (const auto& series : per_model) models.insert(series["metric"]["routed_model"]);
  EXPECT_EQ(models, (std::set<std::string>{"alpha", "beta"}));
}

}  // namespace
}  // namespace switchboard::testing
