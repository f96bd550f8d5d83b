#include "tests/integration/harness/prom_text.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "tests/integration/harness/temp_dir.h"

namespace switchboard::testing {
namespace {

// Parses `{a="b",c="d"}` starting at text[pos] == '{'; returns the index after '}'.
size_t ParseLabels(std::string_view text, size_t pos, std::map<std::string, std::string>& labels) {
  ++pos;
  while (pos < text.size() && text[pos] != '}') {
    size_t eq = text.find('=', pos);
    if (eq == std::string_view::npos) return text.size();
    std::string key(text.substr(pos, eq - pos));
    pos = eq + 2;  // past ="
    std::string value;
    while (pos < text.size() && text[pos] != '"') {
      if (text[pos] == '\\' && pos + 1 < text.size()) {
        ++pos;
        value.push_back(text[pos] == 'n' ? '\n' : text[pos]);
      } else {
        value.push_back(text[pos]);
      }
      ++pos;
    }
    ++pos;  // past the closing quote
    if (pos < text.size() && text[pos] == ',') ++pos;
    labels[key] = value;
  }
  return pos + 1;
}

}  // namespace

std::vector<PromSample> ParsePromText(std::string_view text) {
  std::vector<PromSample> samples;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    PromSample sample;
    size_t pos = line.find_first_of("{ ");
    if (pos == std::string_view::npos) continue;
    sample.name = std::string(line.substr(0, pos));
    if (line[pos] == '{') pos = ParseLabels(line, pos, sample.labels);
    while (pos < line.size() && line[pos] == ' ') ++pos;
    sample.value = std::strtod(std::string(line.substr(pos)).c_str(), nullptr);
    samples.push_back(std::move(sample));
  }
  return samples;
}

double SumSamples(const std::vector<PromSample>& samples, std::string_view name,
                  const std::map<std::string, std::string>& match) {
  double sum = 0;
  for (const auto& sample : samples) {
    if (sample.name != name) continue;
    bool all = true;
    for (const auto& [key, value] : match) {
      auto it = sample.labels.find(key);
      if (it == sample.labels.end() || it->second != value) {
        all = false;
        break;
      }
    }
    if (all) sum += sample.value;
  }
  return sum;
}

size_t SeriesCount(const std::vector<PromSample>& samples) { return samples.size(); }

CommandResult PromtoolCheckMetrics(std::string_view text) {
  CommandResult result;
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    result.output = "promtool is not installed (Debian package 'prometheus'; scripts/setup installs it)";
    return result;
  }
  TempDir dir;
  std::string input = dir.path() + "/metrics.txt";
  std::ofstream(input) << text;
  std::string command = "promtool check metrics < '" + input + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    result.output = "popen failed";
    return result;
  }
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace switchboard::testing
