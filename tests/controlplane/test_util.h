#pragma once
// Helpers for the control plane's unit tests: configs from YAML, a private
// state directory.

#include <string>

#include <gtest/gtest.h>

#include "common/config/load.h"
#include "controlplane/state_store.h"
#include "switchboard/config/v1/config.pb.h"

namespace switchboard::controlplane::testing {

// A parsed config; fails the test when `yaml` does not load.
inline config::v1::Config ParseYaml(const std::string& yaml) {
  auto loaded = config::ParseConfigText(yaml, "test.yaml");
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  return loaded.ok() ? loaded->config : config::v1::Config();
}

// Three trivial models and a random provider over two of them, a literal key
// and an environment key.
inline constexpr const char* kBaseYaml = R"(
keyProviders:
  lit: {type: literal, key: sk-literal-secret-123, modelTargets: ["^up"]}
  env: {type: environment, envVar: SB_UNIT_TEST_UNSET_VARIABLE, modelTargets: ["^up"]}
modelProviders:
  a: {type: trivial, output: "A"}
  b: {type: trivial, output: "B"}
  c: {type: trivial, output: "C"}
  up: {type: genericoai, url: "http://127.0.0.1:9/v1", modelName: m}
  pick: {type: random, modelWeights: {a: 1, b: 2}}
)";

}  // namespace switchboard::controlplane::testing
