#pragma once
// Reading Prometheus text exposition (what /metrics serves) in tests, and
// running `promtool check metrics` on it.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::testing {

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Every sample line ("name{a="b",...} value"); comments and blank lines skipped.
// Label values are unescaped (\\, \", \n).
std::vector<PromSample> ParsePromText(std::string_view text);

// Sum of the samples called `name` whose labels include all of `match`.
double SumSamples(const std::vector<PromSample>& samples, std::string_view name,
                  const std::map<std::string, std::string>& match = {});

// Number of distinct series (sample lines).
size_t SeriesCount(const std::vector<PromSample>& samples);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `promtool check metrics` with `text` on its stdin. exit_code -1 and a
// message when promtool is not installed (scripts/setup installs it).
CommandResult PromtoolCheckMetrics(std::string_view text);

}  // namespace switchboard::testing
