#include "common/config/providers_json.h"

#include <re2/re2.h>

#include <algorithm>
#include <set>

#include "common/config/decode_util.h"
#include "common/config/suggest.h"
#include "common/status.h"
#include "common/url.h"

namespace switchboard::config {
namespace {

using decode::PathError;
namespace v1 = ::switchboard::config::v1;

constexpr std::string_view kChatSuffix = "/chat/completions";

// The keys of `object` not in `known` are errors, with a suggestion.
absl::Status CheckKeys(const Json& object, const std::string& path, const std::vector<std::string>& known) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string hint = DidYouMean(key, known);
    if (hint.empty()) hint = " (known keys: " + JoinNames(known) + ")";
    return PathError(path + "." + key, "unknown key '" + key + "'" + hint);
  }
  return absl::OkStatus();
}

// The string at object[key]; "" when absent or null.
absl::StatusOr<std::string> OptionalString(const Json& object, const std::string& path, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return PathError(path + "." + key, "expected a string");
  return it->get<std::string>();
}

// base_url + "/chat/completions", keeping a query string at the end.
absl::StatusOr<std::string> ChatUrl(const std::string& base_url, const std::string& path) {
  if (base_url.empty()) return PathError(path, "required (the API's base URL, e.g. https://openrouter.ai/api/v1)");
  auto parsed = ParseUrl(base_url);
  if (!parsed.ok()) return PathError(path, std::string(parsed.status().message()) + " (got '" + base_url + "')");
  std::string base = base_url;
  std::string query;
  if (size_t q = base.find('?'); q != std::string::npos) {
    query = base.substr(q);
    base.resize(q);
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.size() < kChatSuffix.size() || base.compare(base.size() - kChatSuffix.size(), kChatSuffix.size(),
                                                       kChatSuffix) != 0) {
    base += kChatSuffix;
  }
  return base + query;
}

struct ProviderFields {
  std::string name;
  std::string url;
  std::string api_key;
};

class Converter {
 public:
  Converter(Config* config, PathAliases* aliases) : config_(config), aliases_(aliases) {}

  absl::Status Provider(const Json& value, size_t index, const std::string& path) {
    if (!value.is_object()) return PathError(path, "expected a provider {name, base_url, api_key, models}");
    RETURN_IF_ERROR(CheckKeys(value, path, {"name", "base_url", "api_key", "models"}));
    ProviderFields provider;
    ASSIGN_OR_RETURN(provider.name, OptionalString(value, path, "name"));
    if (provider.name.empty()) provider.name = "provider" + std::to_string(index + 1);
    ASSIGN_OR_RETURN(std::string base_url, OptionalString(value, path, "base_url"));
    ASSIGN_OR_RETURN(provider.url, ChatUrl(base_url, path + ".base_url"));
    ASSIGN_OR_RETURN(provider.api_key, OptionalString(value, path, "api_key"));
    auto models = value.find("models");
    std::string models_path = path + ".models";
    if (models == value.end() || models->is_null()) return PathError(models_path, "required (a list of {id, ...})");
    if (!models->is_array()) return PathError(models_path, "expected a list of models {id, enable_prefill, settings}");
    if (models->empty()) return PathError(models_path, "is empty (list at least one model)");
    for (size_t j = 0; j < models->size(); ++j) {
      RETURN_IF_ERROR(Model((*models)[j], provider, path, models_path + "[" + std::to_string(j) + "]"));
    }
    return absl::OkStatus();
  }

  absl::Status Finish(const std::string& path) {
    if (names_.empty()) return PathError(path, "no providers (the list is empty)");
    v1::ModelProvider& random = (*config_->mutable_model_providers())[std::string(kProvidersJsonRandomModel)];
    random.set_type("random");
    for (const auto& name : names_) random.add_model_list(name);
    config_->set_default_model(std::string(kProvidersJsonRandomModel));
    Alias("modelProviders." + std::string(kProvidersJsonRandomModel), path);
    return absl::OkStatus();
  }

 private:
  absl::Status Model(const Json& value, const ProviderFields& provider, const std::string& provider_path,
                     const std::string& path) {
    if (!value.is_object()) return PathError(path, "expected a model {id, enable_prefill, settings}");
    RETURN_IF_ERROR(CheckKeys(value, path, {"id", "enable_prefill", "settings"}));
    ASSIGN_OR_RETURN(std::string id, OptionalString(value, path, "id"));
    if (id.empty()) return PathError(path + ".id", "required (the upstream's model name)");
    bool enable_prefill = false;
    if (auto it = value.find("enable_prefill"); it != value.end() && !it->is_null()) {
      if (!it->is_boolean()) return PathError(path + ".enable_prefill", "expected true or false");
      enable_prefill = it->get<bool>();
    }

    std::string name = UniqueName(provider.name + "/" + id);
    names_.push_back(name);
    v1::ModelProvider& model = (*config_->mutable_model_providers())[name];
    model.set_type("genericoai");
    model.set_url(provider.url);
    model.set_model_name(id);
    model.set_enable_prefill(enable_prefill);
    Alias("modelProviders." + name, path);
    Alias("modelProviders." + name + ".url", provider_path + ".base_url");
    Alias("modelProviders." + name + ".modelName", path + ".id");
    Alias("modelProviders." + name + ".enablePrefill", path + ".enable_prefill");

    if (!provider.api_key.empty()) {
      v1::KeyProvider& key = (*config_->mutable_key_providers())[name];
      key.set_type("literal");
      key.set_key(provider.api_key);
      key.add_model_targets("^" + RE2::QuoteMeta(name) + "$");
      Alias("keyProviders." + name, provider_path + ".api_key");
    }

    auto settings = value.find("settings");
    if (settings == value.end() || settings->is_null()) return absl::OkStatus();
    std::string settings_path = path + ".settings";
    if (!settings->is_object()) return PathError(settings_path, "expected a mapping of sampler name to number");
    if (settings->empty()) return absl::OkStatus();
    v1::Processor processor;
    processor.set_type("overridesamplers");
    for (const auto& [key, setting] : settings->items()) {
      if (!setting.is_number()) {
        return PathError(settings_path + "." + key,
                         "only numeric settings are supported (samplers such as temperature, top_p, max_tokens); "
                         "got " + std::string(setting.type_name()));
      }
      (*processor.mutable_samplers())[key].set_number(setting.get<double>());
    }
    model.set_processor_chain(name);
    *(*config_->mutable_processor_chains())[name].add_processors() = std::move(processor);
    Alias("processorChains." + name, settings_path);
    Alias("processorChains." + name + "[0]", settings_path);
    Alias("modelProviders." + name + ".processorChain", settings_path);
    return absl::OkStatus();
  }

  // `base`, or `base#2`, `base#3`... when it is taken.
  std::string UniqueName(const std::string& base) {
    std::string name = base;
    for (int n = 2; taken_.contains(name); ++n) name = base + "#" + std::to_string(n);
    taken_.insert(name);
    return name;
  }

  void Alias(const std::string& generated, const std::string& file_path) {
    if (aliases_ != nullptr) aliases_->emplace(generated, file_path);
  }

  Config* config_;
  PathAliases* aliases_;
  std::set<std::string> taken_;
  std::vector<std::string> names_;  // in file order
};

}  // namespace

bool IsProvidersJson(const Json& root) {
  // A list of anything but objects is no providers.json either; the general
  // "expected a mapping at the top level" fits it better.
  if (root.is_array()) return root.empty() || root.front().is_object();
  return root.is_object() && root.size() == 1 && root.contains("providers");
}

absl::Status DecodeProvidersJson(const Json& root, Config* config, SourceMap* source_map, PathAliases* path_aliases) {
  const Json* list = &root;
  if (root.is_array()) {
    // YamlToTree names a top-level list's items "[0]"; the file's own name for
    // them (and what errors say) is "providers[0]".
    decode::AliasPaths(source_map, "", "providers");
    if (source_map != nullptr) source_map->emplace("providers", 1);
  } else {
    list = &root.at("providers");
  }
  if (!list->is_array()) return PathError("providers", "expected a list of providers {name, base_url, api_key, models}");
  Converter converter(config, path_aliases);
  for (size_t i = 0; i < list->size(); ++i) {
    RETURN_IF_ERROR(converter.Provider((*list)[i], i, "providers[" + std::to_string(i) + "]"));
  }
  return converter.Finish("providers");
}

}  // namespace switchboard::config
