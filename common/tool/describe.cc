#include "common/tool/describe.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

namespace switchboard::tool {
namespace {

namespace v1 = ::switchboard::config::v1;

std::string Percent(double part, double total) {
  char text[32];
  std::snprintf(text, sizeof text, "%5.1f%%", total > 0 ? 100.0 * part / total : 0.0);
  return text;
}

// 40 rather than 40.0; otherwise the shortest form that reads back the same.
std::string Number(double value) {
  if (std::trunc(value) == value && std::fabs(value) < 1e15) return std::to_string(static_cast<int64_t>(value));
  return nlohmann::json(value).dump();
}

std::string Quoted(const std::string& text) { return nlohmann::json(text).dump(); }

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

bool CallsUpstream(routing::ProviderType type) {
  return type != routing::ProviderType::kRandom && type != routing::ProviderType::kTrivial;
}

// Key provider name -> the upstream models it targets, with Snapshot::Build's
// rule (an unanchored RE2 search in the model provider's name).
std::map<std::string, std::vector<std::string>> KeyTargets(const routing::Snapshot& snapshot) {
  std::map<std::string, std::vector<std::string>> targets;
  for (const auto& [name, key] : snapshot.config().key_providers()) {
    std::vector<std::unique_ptr<RE2>> regexes;
    for (const auto& pattern : key.model_targets()) regexes.push_back(std::make_unique<RE2>(pattern, RE2::Quiet));
    auto& models = targets[name];
    for (const auto& model : snapshot.models()) {
      if (!CallsUpstream(model->type)) continue;
      for (const auto& re : regexes) {
        if (re->ok() && RE2::PartialMatch(model->name, *re)) {
          models.push_back(model->name);
          break;
        }
      }
    }
  }
  return targets;
}

void DescribeModels(const routing::Snapshot& snapshot, const std::map<std::string, std::vector<std::string>>& keys,
                    std::string& out) {
  out += "models (" + std::to_string(snapshot.models().size()) + "):\n";
  for (const auto& model : snapshot.models()) {
    const v1::ModelProvider& mp = snapshot.config().model_providers().at(model->name);
    out += "  " + model->name + "  " + std::string(routing::ProviderTypeName(model->type));
    if (CallsUpstream(model->type)) {
      const Url& url = model->target.url;
      out += "  " + model->target.model_name + " @ " + (url.tls ? "https://" : "http://") + url.host_header +
             url.target + "\n";
    } else if (model->type == routing::ProviderType::kTrivial) {
      out += "  (answers itself, no upstream)\n";
    } else {
      out += "\n";
      double total = 0;
      for (double weight : model->weights) total += weight;
      for (size_t i = 0; i < model->members.size(); ++i) {
        out += "    " + Percent(model->weights[i], total) + "  " + model->members[i]->name + "\n";
      }
    }
    if (!mp.processor_chain().empty()) out += "    chain: " + mp.processor_chain() + "\n";
    if (CallsUpstream(model->type)) {
      std::vector<std::string> names;
      for (const auto& [key, models] : keys) {
        if (std::find(models.begin(), models.end(), model->name) != models.end()) names.push_back(key);
      }
      out += "    keys: " + (names.empty() ? std::string("none (requests go without a key)") : JoinList(names)) +
             "\n";
      if (model->prefill_disabled) out += "    prefill: off\n";
      if (model->prefill) out += "    prefill: its own (" + std::to_string(model->prefill->size()) + " characters)\n";
      if (model->mistral_prefix) out += "    mistral prefix: on\n";
    }
  }
}

void DescribeKeys(const routing::Snapshot& snapshot, const std::map<std::string, std::vector<std::string>>& keys,
                  std::string& out) {
  const auto& providers = snapshot.config().key_providers();
  out += "\nkeys (" + std::to_string(providers.size()) + "; values hidden):\n";
  for (const auto& [name, models] : keys) {
    const v1::KeyProvider& key = providers.at(name);
    out += "  " + name + "  ";
    out += key.type() == "environment" ? "environment $" + key.env_var() : key.type();
    out += "  -> " + (models.empty() ? std::string("no model (its modelTargets match none)") : JoinList(models)) +
           "\n";
  }
}

void DescribeChains(const routing::Snapshot& snapshot, std::string& out) {
  std::map<std::string, const v1::ProcessorChain*> chains;
  for (const auto& [name, chain] : snapshot.config().processor_chains()) chains[name] = &chain;
  out += "\nchains (" + std::to_string(chains.size()) + "):\n";
  for (const auto& [name, chain] : chains) {
    std::vector<std::string> steps;
    for (const auto& processor : chain->processors()) steps.push_back(DescribeProcessor(processor));
    out += "  " + name + ": " + (steps.empty() ? std::string("(empty)") : JoinList(steps)) + "\n";
  }
}

void DescribeEndpoints(const routing::Snapshot& snapshot, std::string& out) {
  out += "\nclient endpoints:\n";
  for (const auto& profile : snapshot.client().profiles) {
    out += "  " + profile.path + "  -> ";
    out += profile.default_model != nullptr ? profile.default_model->name : std::string("the model the client names");
    if (profile.prefill) out += "; prefill";
    if (profile.system_prefill) out += "; system prefill";
    out += "\n";
  }
}

}  // namespace

std::string DescribeProcessor(const v1::Processor& p) {
  std::vector<std::string> args;
  const std::string& type = p.type();
  if (type == "overridesamplers") {
    std::map<std::string, std::string> samplers;
    for (const auto& [name, value] : p.samplers()) samplers[name] = value.has_unset() ? "unset" : Number(value.number());
    for (const auto& [name, value] : samplers) args.push_back(name + "=" + value);
  } else if (type == "regex") {
    args.push_back("/" + p.pattern() + "/" + p.flags());
  } else if (type == "random") {
    double total = 0;
    for (const auto& w : p.processor_weights()) total += w.weight();
    for (const auto& w : p.processor_weights()) {
      std::string percent = Percent(w.weight(), total);
      percent.erase(0, percent.find_first_not_of(' '));
      args.push_back(percent + ": " + DescribeProcessor(w.config()));
    }
    for (const auto& member : p.processor_list()) args.push_back(DescribeProcessor(member));
  } else if (type == "chain") {
    for (const auto& member : p.processors()) args.push_back(DescribeProcessor(member));
  } else if (type == "insertmessage") {
    if (!p.role().empty()) args.push_back("role=" + p.role());
    if (p.has_position()) args.push_back("position=" + std::to_string(p.position()));
  } else if (type == "noass") {
    if (!p.role().empty()) args.push_back("role=" + p.role());
  } else if (type == "squash") {
    if (!p.roles().empty()) args.push_back("roles=" + JoinList({p.roles().begin(), p.roles().end()}));
    if (p.has_squash_string()) args.push_back("with " + Quoted(p.squash_string()));
  }
  if (args.empty()) return type;
  return type + "(" + JoinList(args) + ")";
}

std::string DescribeConfig(const crypto::OpenedConfig& opened, const routing::Snapshot& snapshot,
                           const std::vector<std::string>& warnings) {
  const config::LoadedConfig& loaded = opened.loaded;
  std::string out = loaded.source_name + ": valid ";
  out += loaded.form == "providers.json" ? "FunTimeRouter providers.json" : "config";
  if (opened.sealed) {
    out += ", sealed (scrypt N=" + std::to_string(opened.scrypt.n) + " r=" + std::to_string(opened.scrypt.r) +
           " p=" + std::to_string(opened.scrypt.p) + ")";
  }
  out += "\n\n";
  auto keys = KeyTargets(snapshot);
  DescribeModels(snapshot, keys, out);
  if (!snapshot.config().default_model().empty()) out += "default model: " + snapshot.config().default_model() + "\n";
  DescribeKeys(snapshot, keys, out);
  DescribeChains(snapshot, out);
  DescribeEndpoints(snapshot, out);
  if (!warnings.empty()) {
    out += "\nwarnings:\n";
    for (const auto& warning : warnings) out += "  " + warning + "\n";
  }
  return out;
}

}  // namespace switchboard::tool
