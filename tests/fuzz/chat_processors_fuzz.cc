// Fuzz target: a chat request's JSON body through every processor and every
// request adapter.
//
// The first input byte seeds the Rng (random processors pick by it); the rest
// is the body. It is checked the way the chat handler checks it
// (ParseChatBody), then parsed without exceptions and, when it is a JSON
// object, run through each processor type alone and through chains of all of
// them (processors never throw and must leave JSON that serialises). Bodies
// the handler accepts then go through the prefill and both request adapters
// (OpenAI-compatible, Gemini under several option sets), whose bodies must be
// JSON. The fast JSON parser and writer (json_codec.h) are checked against
// nlohmann's on every input, and a body the pass-through scan (chat_scan.h)
// takes must reach the upstream as the same value the tree way sends (for
// Gemini, the same bytes).

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/processors/registry.h"
#include "dataplane/providers/chat_scan.h"
#include "dataplane/providers/gemini.h"
#include "dataplane/providers/json_codec.h"
#include "dataplane/providers/openai_compat.h"
#include "dataplane/providers/prefill.h"
#include "dataplane/server/chat_body.h"
#include "tests/fuzz/fuzz_util.h"

namespace switchboard::fuzz {
namespace {

using nlohmann::json;

// One chain per processor type (the first few types several times, with
// other settings), and two chains of everything.
constexpr std::string_view kChainsConfig = R"yaml(
processorChains:
  nodanglingsys: [{type: nodanglingsys}]
  nosys: [{type: nosys}]
  overridesamplers:
    - {type: overridesamplers, temperature: 0.25, topP: unset, topK: 40, minP: 0, topA: unset,
       frequencyPenalty: -2, repetitionPenalty: 1.1, presencePenalty: unset}
  regex-global: [{type: regex, pattern: "\\b(colou?r)\\b", flags: gi, replacement: "<$1>"}]
  regex-first: [{type: regex, pattern: "^\\s*|x*", replacement: "$&$$"}]
  regex-multiline: [{type: regex, pattern: "^(.*)$", flags: gms, replacement: "[$1]"}]
  regex-unicode: [{type: regex, pattern: "\\p{L}+", flags: gu, replacement: ""}]
  noass-user: [{type: noass, role: user}]
  noass-assistant: [{type: noass, role: assistant}]
  squash-all: [{type: squash, roles: [user, assistant, system, developer], squashString: ""}]
  squash-user: [{type: squash, roles: [user]}]
  insert-start: [{type: insertmessage, role: system, content: "start", position: 0}]
  insert-end: [{type: insertmessage, role: user, content: "end", position: -1}]
  insert-far: [{type: insertmessage, role: developer, content: "", position: -1000000}]
  insert-past: [{type: insertmessage, role: assistant, content: "past", position: 9223372036854775807}]
  insert-min: [{type: insertmessage, role: assistant, content: "min", position: -9223372036854775808}]
  random-list:
    - type: random
      processorList: [{type: nosys}, {type: noass, role: user}, {type: squash, roles: [system]}]
  random-weights:
    - type: random
      processorWeights:
        - {weight: 0.001, config: {type: nodanglingsys}}
        - weight: 1000
          config:
            type: chain
            processors:
              - {type: insertmessage, role: user, content: x, position: 1}
              - {type: regex, pattern: "x", flags: g, replacement: "yy"}
  chain: [{type: chain, processors: [{type: nosys}, {type: squash, roles: [user]}]}]
  everything:
    - {type: nodanglingsys}
    - {type: nosys}
    - {type: overridesamplers, temperature: 1}
    - {type: regex, pattern: "a", flags: g, replacement: "b"}
    - {type: random, processorList: [{type: noass, role: user}]}
    - {type: noass, role: assistant}
    - {type: squash, roles: [user, assistant]}
    - {type: insertmessage, role: user, content: "c", position: -2}
    - {type: chain, processors: [{type: nodanglingsys}]}
  everything-reversed:
    - {type: chain, processors: [{type: nodanglingsys}]}
    - {type: insertmessage, role: system, content: "c", position: 2}
    - {type: squash, roles: [system, developer]}
    - {type: noass, role: user}
    - {type: random, processorWeights: [{weight: 1, config: {type: nosys}}]}
    - {type: regex, pattern: ".", flags: gi, replacement: ""}
    - {type: overridesamplers, temperature: unset}
    - {type: nosys}
    - {type: nodanglingsys}
)yaml";

void CollectTypes(const config::v1::Processor& processor, std::set<std::string>& types) {
  types.insert(processor.type());
  for (const auto& sub : processor.processor_list()) CollectTypes(sub, types);
  for (const auto& weighted : processor.processor_weights()) CollectTypes(weighted.config(), types);
  for (const auto& sub : processor.processors()) CollectTypes(sub, types);
}

struct Fixture {
  std::vector<std::shared_ptr<const processors::Chain>> chains;
  std::shared_ptr<const processors::Chain> everything;
  providers::OpenAiCompatAdapter openai;
  providers::GeminiAdapter gemini;
  std::vector<providers::Target> gemini_targets;
  providers::Target openai_target;
};

const Fixture& GetFixture() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture();
    auto loaded = config::ParseConfigText(kChainsConfig, "fuzz-chains.yaml");
    if (!loaded.ok()) Fail("the chains config does not load:", loaded.status());
    std::set<std::string> types;
    for (const auto& [name, chain_config] : loaded->config.processor_chains()) {
      for (const auto& processor : chain_config.processors()) CollectTypes(processor, types);
      auto chain = processors::BuildChain(chain_config, "processorChains." + name);
      if (!chain.ok()) Fail("a chain does not build:", chain.status());
      if (name == "everything") f->everything = *chain;
      f->chains.push_back(*chain);
    }
    for (std::string_view type : processors::BuiltinProcessorTypes()) {
      if (types.count(std::string(type)) == 0) Fail("no chain uses a processor type");
    }
    f->openai_target.model_name = "upstream-model";
    providers::Target plain;
    plain.model_name = "gemini-2.0-flash";
    f->gemini_targets.push_back(plain);
    providers::Target tuned = plain;
    tuned.gemini.system_instruction = false;
    tuned.gemini.safety_thresholds = {{"HARM_CATEGORY_HARASSMENT", "BLOCK_NONE"}};
    tuned.gemini.thinking_budget = 0;
    tuned.gemini.include_thoughts = true;
    f->gemini_targets.push_back(tuned);
    providers::Target thinking = plain;
    thinking.gemini.thinking_budget = -1;
    thinking.gemini.include_thoughts = false;
    f->gemini_targets.push_back(thinking);
    return f;
  }();
  return *fixture;
}

// Serialises to JSON, and the fast writer gives nlohmann's bytes exactly.
void CheckSerialises(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (!json::accept(text)) Fail("a processed body does not serialise to JSON");
  if (switchboard::providers::DumpJson(value) != text) Fail("DumpJson differs from nlohmann's dump");
}

// The fast parser (simdjson, then nlohmann) agrees with nlohmann's: same value
// or the same error at the same byte.
void CheckParsersAgree(std::string_view text, const json& parsed) {
  json fast;
  try {
    switchboard::providers::ParseJson(text, fast);
  } catch (const json::parse_error& e) {
    if (!parsed.is_discarded()) Fail("ParseJson refused what nlohmann accepts");
    try {
      json slow = json::parse(text);
    } catch (const json::parse_error& slow) {
      if (slow.byte != e.byte) Fail("ParseJson reports another error position than nlohmann");
    }
    return;
  } catch (const json::out_of_range&) {
    return;  // a number beyond a double: nlohmann throws it too
  }
  if (parsed.is_discarded()) Fail("ParseJson accepted what nlohmann refuses");
  if (fast != parsed) Fail("ParseJson and nlohmann parse to different values");
}

void BuildRequests(const Fixture& f, const json& body) {
  auto openai = f.openai.BuildRequest(f.openai_target, body, "sk-fuzz");
  if (!openai.ok()) Fail("the OpenAI-compatible adapter refused a body:", openai.status());
  if (!json::accept(openai->body)) Fail("an OpenAI-compatible request body is not JSON");
  for (const auto& target : f.gemini_targets) {
    auto gemini = f.gemini.BuildRequest(target, body, "gm-fuzz");
    if (gemini.ok() && !json::accept(gemini->body)) Fail("a Gemini request body is not JSON");
  }
}

// A body the scan passes through: the handler accepts it too, and the
// rewritten text is the value the tree way builds.
void CheckPassthrough(const Fixture& f, std::string_view text, bool accepted, const json& checked) {
  switchboard::providers::ChatBodyScan scan;
  if (!switchboard::providers::ScanChatBody(text, scan)) return;
  if (!accepted) Fail("the pass-through scan took a body the handler refuses");
  if (scan.model != checked["model"].get<std::string>()) Fail("the scan read another model than the tree");
  auto passed = f.openai.BuildPassthrough(f.openai_target, text, scan, "sk-fuzz");
  auto tree = f.openai.BuildRequest(f.openai_target, checked, "sk-fuzz");
  if (!passed.ok() || !tree.ok()) Fail("the OpenAI-compatible adapter refused a clean body");
  json sent = json::parse(passed->body, nullptr, false);
  if (sent.is_discarded()) Fail("a passed-through body is not JSON");
  if (sent != json::parse(tree->body)) Fail("a passed-through body differs from the tree way's");
  // Gemini reads such a body from simdjson's document: the very same request
  // as from the tree, or the same error.
  for (const auto& target : f.gemini_targets) {
    auto gemini_passed = f.gemini.BuildPassthrough(target, text, scan, "gm-fuzz");
    auto gemini_tree = f.gemini.BuildRequest(target, checked, "gm-fuzz");
    if (gemini_passed.ok() != gemini_tree.ok()) Fail("Gemini accepts a body one way and refuses it the other");
    if (!gemini_tree.ok()) {
      if (gemini_passed.status() != gemini_tree.status()) Fail("Gemini refuses a body with another error each way");
      continue;
    }
    if (gemini_passed->body != gemini_tree->body || gemini_passed->warnings != gemini_tree->warnings ||
        gemini_passed->url.ToString() != gemini_tree->url.ToString()) {
      Fail("a Gemini request read from the document differs from the tree way's");
    }
  }
}

}  // namespace
}  // namespace switchboard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::fuzz;
  const Fixture& f = GetFixture();
  Input input(AsText(data, size));
  switchboard::Rng rng(input.Byte());
  std::string_view text = input.Rest();

  json checked;
  switchboard::providers::ClientError error;
  bool accepted = switchboard::server::ParseChatBody(text, checked, error);
  if (!accepted && (error.status != 400 || error.message.empty())) Fail("a refused body has no 400 error");

  json parsed = json::parse(text, nullptr, false);
  CheckParsersAgree(text, parsed);
  CheckPassthrough(f, text, accepted, checked);
  if (parsed.is_discarded() || !parsed.is_object()) return 0;
  for (const auto& chain : f.chains) {
    json body = parsed;
    chain->Apply(body, rng);
    CheckSerialises(body);
  }
  json all = parsed;
  for (const auto& chain : f.chains) chain->Apply(all, rng);
  CheckSerialises(all);
  if (!accepted) return 0;

  // What the handler sends upstream: the chains' output with a prefill.
  json body = checked;
  f.everything->Apply(body, rng);
  BuildRequests(f, body);
  switchboard::providers::AppendPrefill(body, "((OOC: Sure!))", (size & 1) != 0);
  BuildRequests(f, body);
  BuildRequests(f, all);
  return 0;
}
