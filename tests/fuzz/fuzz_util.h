#pragma once
// What the fuzz targets share: reading the input, splitting it into chunks as
// a network would, the fixed environment configs are built with, and the
// config every request-side target routes through.
//
// Each target is one .cc with LLVMFuzzerTestOneInput. With clang and
// SWITCHBOARD_FUZZ=ON it links libFuzzer; in every build it is also linked
// into a GoogleTest (regression_test.cc) that replays the saved inputs.
// Targets hold no state between inputs except fixtures built once from fixed
// text; a fixture that fails to build is a bug in the target and aborts.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/config/load.h"
#include "dataplane/routing/snapshot.h"

namespace switchboard::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Takes bytes off the front of an input.
class Input {
 public:
  explicit Input(std::string_view data) : data_(data) {}
  // The next byte, or 0 when none is left.
  uint8_t Byte() {
    if (data_.empty()) return 0;
    uint8_t b = static_cast<uint8_t>(data_.front());
    data_.remove_prefix(1);
    return b;
  }
  std::string_view Rest() const { return data_; }

 private:
  std::string_view data_;
};

// Splits `data` into consecutive pieces as reads from a socket might: `seed`
// 0 gives the whole input at once, 1 one byte at a time, anything else pieces
// of pseudo-random sizes from 1 to 64 bytes derived from it.
inline std::vector<std::string_view> Chunks(std::string_view data, uint8_t seed) {
  std::vector<std::string_view> out;
  if (seed == 0) {
    out.push_back(data);
    return out;
  }
  uint32_t state = 0x9E3779B9u * seed;
  while (!data.empty()) {
    size_t n = 1;
    if (seed != 1) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      n = 1 + state % 64;
    }
    if (n > data.size()) n = data.size();
    out.push_back(data.substr(0, n));
    data.remove_prefix(n);
  }
  return out;
}

// Where each of Chunks(data, seed)'s pieces ends (one end, 0, for no data):
// the reads as head_reading.h's FeedHead takes them.
inline std::vector<size_t> ChunkEnds(std::string_view data, uint8_t seed) {
  std::vector<size_t> ends;
  size_t end = 0;
  for (std::string_view piece : Chunks(data, seed)) ends.push_back(end += piece.size());
  if (ends.empty()) ends.push_back(0);
  return ends;
}

// The environment a config sees while fuzzing: every variable is set, to the
// same value (long enough for a client key).
inline const char* FixedGetenv(const char*) { return "fuzz-environment-value"; }

[[noreturn]] inline void Fail(std::string_view what, const absl::Status& status = absl::OkStatus()) {
  std::fprintf(stderr, "fuzz: %.*s %s\n", static_cast<int>(what.size()), what.data(),
               status.ok() ? "" : std::string(status.message()).c_str());
  std::abort();
}

// A config with a model of every provider type, chains of every processor
// type, both client profiles with prefills, CORS origins and client keys: what
// the HTTP target routes requests through.
inline constexpr std::string_view kRoutingConfig = R"yaml(
port: 3000
server: {bodyLimitBytes: 65536}
keyProviders:
  oai: {type: literal, key: sk-fuzz-1, modelTargets: [up, "^gem"]}
  env: {type: environment, envVar: FUZZ_KEY, modelTargets: [".*"]}
modelProviders:
  up: {type: genericoai, url: "http://127.0.0.1:9/v1", modelName: m, processorChain: everything}
  router: {type: openrouter, modelName: mistralai/mistral-7b, prefill: "((OOC: Sure!))", mistralPrefix: true}
  gem:
    type: gemini
    modelName: gemini-2.0-flash
    processorChain: squashy
    systemInstruction: false
    safetySettings: BLOCK_NONE
    thinkingBudget: 128
    includeThoughts: true
  gem2: {type: gemini, modelName: gemini-pro}
  triv: {type: trivial, output: "Hello there, general."}
  pick: {type: random, modelWeights: {up: 2, gem: 1, triv: 1, inner: 1}, processorChain: outer}
  inner: {type: random, modelList: [router, gem2]}
processorChains:
  everything:
    - type: nodanglingsys
    - type: nosys
    - type: overridesamplers
      temperature: 0.7
      topP: unset
      minP: 0
    - type: regex
      pattern: "\\bcolou?r\\b"
      flags: gi
      replacement: "hue$&"
    - type: noass
      role: user
    - type: squash
      roles: [user, assistant, system]
      squashString: " | "
    - type: insertmessage
      role: system
      content: "[stay in character]"
      position: -2
  squashy:
    - type: squash
      roles: [user]
  outer:
    - type: random
      processorWeights:
        - weight: 2
          config: {type: nosys}
        - weight: 1
          config:
            type: chain
            processors:
              - {type: insertmessage, role: user, content: first, position: 0}
              - {type: noass, role: assistant}
    - type: random
      processorList:
        - {type: regex, pattern: "(a+)+$", replacement: "b"}
        - {type: insertmessage, role: assistant, content: "", position: 1000}
clientProfiles:
  janitorai:
    defaultModel: pick
    prefill: "((OOC: Sure, continuing!))"
    systemPrefill: "Write vividly."
    systemPrefillPosition: -1
  sillytavern:
    defaultModel: up
    genericModel: Secret
cors:
  allowedOrigins: ["https://janitorai.com", "http://localhost:8000"]
clientKeys:
  me: {key: client-key-0001}
  env: {envVar: FUZZ_CLIENT_KEY, requestsPerMinute: 100000}
)yaml";

// kRoutingConfig loaded and built (once, on first use).
inline const routing::Snapshot& RoutingSnapshot() {
  static const std::shared_ptr<const routing::Snapshot> snapshot = [] {
    auto loaded = config::ParseConfigText(kRoutingConfig, "fuzz-routing.yaml");
    if (!loaded.ok()) Fail("the routing config does not load:", loaded.status());
    routing::Snapshot::Options options;
    options.getenv = FixedGetenv;
    auto built = routing::Snapshot::Build(loaded->config, options);
    if (!built.ok()) Fail("the routing config does not build:", built.status());
    return *built;
  }();
  return *snapshot;
}

}  // namespace switchboard::fuzz
