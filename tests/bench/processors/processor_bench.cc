// Micro-benchmark of the processor chain: a chain of ten processors mixing every
// type (regex with g, overridesamplers, nosys, nodanglingsys, squash,
// insertmessage, noass, random, chain) applied to a 200-message, ~100 KiB
// conversation. Prints microseconds per application (median and p99 over runs)
// and, for scale, the cost of parsing the same body and of copying it; then the
// median of each of the ten processors applied alone.
//
//   processor_bench [runs=300] [iterations-per-run=10]
//
// Each run applies the chain to `iterations` fresh copies of the request (made
// before the clock starts) and reports the mean time per application.

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/processors/registry.h"

namespace {

using Clock = std::chrono::steady_clock;
using switchboard::Rng;

constexpr char kChain[] = R"pb(
  processors { type: "regex" pattern: "\\{\\{user\\}\\}" flags: "g" replacement: "Anon" }
  processors {
    type: "overridesamplers"
    samplers { key: "temperature" value { number: 0.8 } }
    samplers { key: "topK" value { unset: true } }
    samplers { key: "maxTokens" value { number: 400 } }
  }
  processors { type: "nodanglingsys" }
  processors { type: "squash" roles: "user" roles: "assistant" }
  processors { type: "insertmessage" role: "system" content: "[Stay in character.]" position: -1 }
  processors { type: "regex" pattern: "\\b(she|her)\\b" flags: "gi" replacement: "[$1]" }
  processors {
    type: "random"
    processor_weights { weight: 1 config { type: "nosys" } }
    processor_weights {
      weight: 3
      config {
        type: "chain"
        processors { type: "regex" pattern: "\\*([^*]+)\\*" flags: "g" replacement: "_$1_" }
        processors { type: "nodanglingsys" }
      }
    }
  }
  processors {
    type: "chain"
    processors { type: "overridesamplers" samplers { key: "top_p" value { number: 0.95 } } }
    processors { type: "insertmessage" role: "user" content: "(continue)" position: 1000 }
  }
  processors { type: "noass" role: "user" }
  processors { type: "nosys" }
)pb";

// A deterministic roleplay-like conversation: 200 messages, about 100 KiB.
nlohmann::json MakeConversation() {
  static const char* const kWords[] = {
      "the", "lantern", "she", "walked", "through", "*quietly*", "{{user}}", "rain", "her",
      "and", "city", "glass", "said", "\"hello\"", "night", "ash", "river", "smiled", "é", "—"};
  Rng rng(12345);
  auto sentence = [&](size_t words) {
    std::string text;
    for (size_t i = 0; i < words; ++i) {
      if (i > 0) text += ' ';
      text += kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
    }
    return text + ".";
  };
  nlohmann::json messages = nlohmann::json::array();
  messages.push_back({{"role", "system"}, {"content", sentence(400)}});
  messages.push_back({{"role", "developer"}, {"content", sentence(60)}});
  while (messages.size() < 200) {
    const size_t i = messages.size();
    std::string role = i % 2 == 0 ? "user" : "assistant";
    if (i % 17 == 0) role = "system";            // dangling system notes
    if (i % 11 == 0) role = "user";              // runs to squash
    nlohmann::json message = {{"role", role}};
    if (i % 23 == 0) {
      message["content"] = nlohmann::json::array(
          {{{"type", "text"}, {"text", sentence(40)}},
           {{"type", "image_url"}, {"image_url", {{"url", "https://example.com/i.png"}}}}});
    } else {
      message["content"] = sentence(60 + rng() % 40);
    }
    messages.push_back(std::move(message));
  }
  return {{"model", "bench"},   {"stream", true},     {"temperature", 1.0},
          {"top_k", 40},        {"max_tokens", 300},  {"messages", std::move(messages)}};
}

double Percentile(std::vector<double> values, double fraction) {
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(fraction * values.size()));
  return values[index];
}

double MicrosecondsSince(Clock::time_point start, int iterations) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / iterations;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 300;
  const int iterations = argc > 2 ? std::max(1, std::atoi(argv[2])) : 10;

  switchboard::config::v1::ProcessorChain config;
  if (!google::protobuf::TextFormat::ParseFromString(kChain, &config)) {
    std::fprintf(stderr, "bad chain text\n");
    return 1;
  }
  auto chain = switchboard::processors::BuildChain(config, "processorChains.bench");
  if (!chain.ok()) {
    std::fprintf(stderr, "%s\n", chain.status().ToString().c_str());
    return 1;
  }

  const nlohmann::json request = MakeConversation();
  const std::string body = request.dump();
  Rng rng(1);

  std::vector<double> apply_us, parse_us, copy_us;
  for (int run = 0; run < runs; ++run) {
    std::vector<nlohmann::json> copies(iterations, request);

    auto start = Clock::now();
    for (nlohmann::json& copy : copies) (*chain)->Apply(copy, rng);
    apply_us.push_back(MicrosecondsSince(start, iterations));

    start = Clock::now();
    for (int i = 0; i < iterations; ++i) copies[i] = nlohmann::json::parse(body);
    parse_us.push_back(MicrosecondsSince(start, iterations));

    start = Clock::now();
    for (int i = 0; i < iterations; ++i) copies[i] = request;
    copy_us.push_back(MicrosecondsSince(start, iterations));
  }

  nlohmann::json out = request;
  (*chain)->Apply(out, rng);
  std::printf("conversation: %zu messages, %zu bytes; chain of %zu processors; "
              "%d runs x %d applications\n",
              request["messages"].size(), body.size(), (*chain)->size(), runs, iterations);
  std::printf("after the chain: %zu messages, %zu bytes\n", out["messages"].size(),
              out.dump().size());
  std::printf("chain apply: median %.1f us, p99 %.1f us per application\n",
              Percentile(apply_us, 0.5), Percentile(apply_us, 0.99));
  std::printf("for scale:   JSON parse of the body median %.1f us, copy median %.1f us\n",
              Percentile(parse_us, 0.5), Percentile(copy_us, 0.5));
  std::printf("ratio: chain apply / JSON parse = %.2f\n",
              Percentile(apply_us, 0.5) / Percentile(parse_us, 0.5));

  // Each processor of the chain alone, on the original conversation.
  for (int p = 0; p < config.processors_size(); ++p) {
    auto processor = switchboard::processors::BuildProcessor(config.processors(p), "bench");
    if (!processor.ok()) return 1;
    std::vector<double> alone_us;
    for (int run = 0; run < std::max(1, runs / 5); ++run) {
      std::vector<nlohmann::json> copies(iterations, request);
      const auto start = Clock::now();
      for (nlohmann::json& copy : copies) (*processor)->Apply(copy, rng);
      alone_us.push_back(MicrosecondsSince(start, iterations));
    }
    std::printf("  [%d] %-16s median %8.1f us\n", p, config.processors(p).type().c_str(),
                Percentile(alone_us, 0.5));
  }
  return 0;
}
