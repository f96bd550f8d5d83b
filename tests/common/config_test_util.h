#pragma once
// Helpers shared by the config tests.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "common/config/load.h"

namespace switchboard::config::testing {

inline std::string TestdataPath(std::string_view name) { return std::string(SWITCHBOARD_TESTDATA_DIR "/") += name; }

inline std::string ReadTestdata(std::string_view name) {
  std::ifstream in(TestdataPath(name), std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The error message of loading `text` as "test.yaml" ("" when it loads).
inline std::string LoadError(std::string_view text) {
  auto loaded = ParseConfigText(text, "test.yaml");
  if (loaded.ok()) return "";
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument) << loaded.status();
  return std::string(loaded.status().message());
}

}  // namespace switchboard::config::testing
