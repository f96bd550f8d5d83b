#include "tests/integration/harness/controlplane_process.h"

#include <nlohmann/json.hpp>

namespace switchboard::testing {
namespace {

std::vector<std::string> ControlPlaneArgs(const std::string& config_file, const std::string& state_dir,
                                          const ControlPlaneProcess::Options& options) {
  std::vector<std::string> args{"--config", config_file,           "--state-dir",     state_dir,
                                "--listen", options.listen,        "--metrics-listen", options.metrics_listen};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  return args;
}

std::vector<std::string> DataPlaneArgs(const std::string& control_plane, const std::string& node_id,
                                       const std::vector<std::string>& extra_args) {
  std::vector<std::string> args{"--control-plane", control_plane,  "--node-id",       node_id,
                                "--listen",        "127.0.0.1:0",  "--admin-listen",  "127.0.0.1:0",
                                "--stats-interval", "0.2"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return args;
}

std::string StringField(const nlohmann::json& line, const char* name) {
  return line.contains(name) && line[name].is_string() ? line[name].get<std::string>() : "";
}

}  // namespace

ControlPlaneProcess::ControlPlaneProcess(const std::string& binary, const std::string& config_file,
                                         const std::string& state_dir, const Options& options)
    : ChildProcess(binary, ControlPlaneArgs(config_file, state_dir, options), options.env) {}

bool ControlPlaneProcess::WaitReady(std::chrono::milliseconds timeout) {
  nlohmann::json ready;
  bool found = WaitForLine(
      [&](const std::string& line) {
        auto parsed = nlohmann::json::parse(line, nullptr, false);
        if (!parsed.is_object() || parsed["msg"] != "ready") return false;
        ready = std::move(parsed);
        return true;
      },
      timeout);
  if (!found) return false;
  grpc_ = StringField(ready, "grpc");
  metrics_ = StringField(ready, "metrics");
  if (ready.contains("version") && ready["version"].is_number_unsigned()) ready_version_ = ready["version"].get<uint64_t>();
  return !grpc_.empty() && !metrics_.empty();
}

ManagedDataPlaneProcess::ManagedDataPlaneProcess(const std::string& binary, const std::string& control_plane,
                                                 const std::string& node_id, const std::vector<std::string>& extra_args,
                                                 const EnvVars& env)
    : ChildProcess(binary, DataPlaneArgs(control_plane, node_id, extra_args), env), node_id_(node_id) {}

bool ManagedDataPlaneProcess::WaitReady(std::chrono::milliseconds timeout) {
  nlohmann::json ready;
  bool found = WaitForLine(
      [&](const std::string& line) {
        auto parsed = nlohmann::json::parse(line, nullptr, false);
        if (!parsed.is_object() || parsed["msg"] != "ready") return false;
        ready = std::move(parsed);
        return true;
      },
      timeout);
  if (!found) return false;
  api_ = StringField(ready, "api");
  admin_ = StringField(ready, "admin");
  return !api_.empty() && !admin_.empty();
}

}  // namespace switchboard::testing
