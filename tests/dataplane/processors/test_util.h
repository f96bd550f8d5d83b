#pragma once
// Helpers for the processor tests: processor configs written as protobuf text
// format, requests as JSON text, and a table-driven fixture
// (ProcessorApplyTest, its TEST_P lives in registry_test.cc) that each test
// file instantiates with its own cases.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dataplane/processors/registry.h"

namespace switchboard::processors::testing {

inline constexpr char kTestPath[] = "processorChains.test[0]";

inline ProcessorConfig ParseProcessor(std::string_view text) {
  ProcessorConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(std::string(text), &config)) << text;
  return config;
}

// Builds a processor that must be valid; nullptr (and a test failure) if not.
inline ProcessorPtr MustBuild(std::string_view text) {
  absl::StatusOr<ProcessorPtr> processor = BuildProcessor(ParseProcessor(text), kTestPath);
  EXPECT_TRUE(processor.ok()) << processor.status() << "\n" << text;
  return processor.ok() ? std::move(processor).value() : nullptr;
}

// The error message of building an invalid processor ("" if it built).
inline std::string BuildError(std::string_view text) {
  absl::StatusOr<ProcessorPtr> processor = BuildProcessor(ParseProcessor(text), kTestPath);
  if (processor.ok()) return "";
  EXPECT_EQ(processor.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(processor.status().message());
}

inline nlohmann::json ApplyOnce(const Processor& processor, nlohmann::json request,
                          uint64_t seed = 1) {
  Rng rng(seed);
  processor.Apply(request, rng);
  return request;
}

// One row of a table: a processor config, a request and the request expected
// after Apply. `name` becomes the test name (letters, digits, underscores).
struct ApplyCase {
  std::string name;
  std::string config;    // protobuf text format of a Processor
  std::string input;     // JSON request
  std::string expected;  // JSON request after Apply
};

inline void PrintTo(const ApplyCase& c, std::ostream* os) { *os << c.name; }

inline std::string CaseName(const ::testing::TestParamInfo<ApplyCase>& info) {
  return info.param.name;
}

class ProcessorApplyTest : public ::testing::TestWithParam<ApplyCase> {};

// One row of an error table: an invalid config and the exact error message.
struct ErrorCase {
  std::string name;
  std::string config;
  std::string error;
};

inline void PrintTo(const ErrorCase& c, std::ostream* os) { *os << c.name; }

inline std::string ErrorCaseName(const ::testing::TestParamInfo<ErrorCase>& info) {
  return info.param.name;
}

class ProcessorErrorTest : public ::testing::TestWithParam<ErrorCase> {};

}  // namespace switchboard::processors::testing
