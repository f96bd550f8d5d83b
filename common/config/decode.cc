#include "common/config/decode.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "common/config/decode_profiles.h"
#include "common/config/decode_util.h"
#include "common/config/suggest.h"
#include "common/config/validate.h"
#include "common/status.h"

namespace switchboard::config {
namespace {

using decode::ExpectObject;
using decode::Field;
using decode::ObjectReader;
using decode::PathError;
using decode::ReadInteger;
using decode::ReadNumber;
using decode::ReadString;
using decode::ReadStringList;
namespace v1 = ::switchboard::config::v1;

constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

absl::Status DecodeKeyProvider(const Json& value, const std::string& path, v1::KeyProvider* out, SourceMap* map) {
  RETURN_IF_ERROR(ExpectObject(value, path));
  ObjectReader reader(value, path, map);
  ASSIGN_OR_RETURN(Field type, reader.Get("type"));
  RETURN_IF_ERROR(ReadString(type, out->mutable_type()));
  ASSIGN_OR_RETURN(Field targets, reader.Get("modelTargets"));
  RETURN_IF_ERROR(ReadStringList(targets, out->mutable_model_targets()));
  ASSIGN_OR_RETURN(Field key, reader.Get("key"));
  RETURN_IF_ERROR(ReadString(key, out->mutable_key()));
  ASSIGN_OR_RETURN(Field env_var, reader.Get("envVar"));
  RETURN_IF_ERROR(ReadString(env_var, out->mutable_env_var()));
  return reader.CheckNoUnknownKeys();
}

// gemini's safetySettings: one threshold for every category ("BLOCK_NONE"), a
// mapping category -> threshold, or Gemini's own list [{category, threshold}].
// The names are checked by ValidateConfig, except the single threshold, which
// is checked here so that the error names the key the file wrote.
absl::Status DecodeSafetySettings(const Field& field, google::protobuf::Map<std::string, std::string>* out,
                                  SourceMap* map) {
  const Json& value = *field.value;
  if (value.is_string()) {
    const std::string threshold = value.get<std::string>();
    std::vector<std::string> thresholds(std::begin(kGeminiHarmThresholds), std::end(kGeminiHarmThresholds));
    if (std::find(thresholds.begin(), thresholds.end(), threshold) == thresholds.end()) {
      std::string hint = DidYouMean(threshold, thresholds);
      if (hint.empty()) hint = " (expected one of: " + JoinNames(thresholds) + ")";
      return PathError(field.path, "unknown threshold '" + threshold + "'" + hint);
    }
    for (std::string_view category : kGeminiHarmCategories) (*out)[std::string(category)] = threshold;
    return absl::OkStatus();
  }
  if (value.is_object()) {
    for (const auto& [category, threshold] : value.items()) {
      std::string item_path = field.path + "." + category;
      if (!threshold.is_string()) return PathError(item_path, "expected a threshold (a string such as OFF)");
      (*out)[category] = threshold.get<std::string>();
    }
    return absl::OkStatus();
  }
  if (!value.is_array()) {
    return PathError(field.path, "expected a threshold, a mapping of harm category to threshold, or a list of "
                                 "{category, threshold}");
  }
  for (size_t i = 0; i < value.size(); ++i) {
    std::string item_path = field.path + "[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(ExpectObject(value[i], item_path));
    ObjectReader reader(value[i], item_path, map);
    ASSIGN_OR_RETURN(Field category_field, reader.Get("category"));
    ASSIGN_OR_RETURN(Field threshold_field, reader.Get("threshold"));
    RETURN_IF_ERROR(reader.CheckNoUnknownKeys());
    if (!category_field) return PathError(item_path + ".category", "required");
    if (!threshold_field) return PathError(item_path + ".threshold", "required");
    std::string category, threshold;
    RETURN_IF_ERROR(ReadString(category_field, &category));
    RETURN_IF_ERROR(ReadString(threshold_field, &threshold));
    if (out->contains(category)) return PathError(item_path + ".category", "'" + category + "' is listed twice");
    (*out)[category] = threshold;
    // Errors about "<field>.<category>" (ValidateConfig's spelling) find this line.
    decode::AliasPaths(map, item_path, field.path + "." + category);
  }
  return absl::OkStatus();
}

absl::Status DecodeModelProvider(const Json& value, const std::string& path, v1::ModelProvider* out, SourceMap* map) {
  RETURN_IF_ERROR(ExpectObject(value, path));
  ObjectReader reader(value, path, map);
  ASSIGN_OR_RETURN(Field type, reader.Get("type"));
  RETURN_IF_ERROR(ReadString(type, out->mutable_type()));
  ASSIGN_OR_RETURN(Field chain, reader.Get("processorChain"));
  RETURN_IF_ERROR(ReadString(chain, out->mutable_processor_chain()));
  ASSIGN_OR_RETURN(Field model_name, reader.Get("modelName"));
  RETURN_IF_ERROR(ReadString(model_name, out->mutable_model_name()));
  ASSIGN_OR_RETURN(Field url, reader.Get("url"));
  RETURN_IF_ERROR(ReadString(url, out->mutable_url()));
  ASSIGN_OR_RETURN(Field list, reader.Get("modelList"));
  RETURN_IF_ERROR(ReadStringList(list, out->mutable_model_list()));
  ASSIGN_OR_RETURN(Field weights, reader.Get("modelWeights"));
  if (weights) {
    RETURN_IF_ERROR(ExpectObject(*weights.value, weights.path));
    for (const auto& [member, weight] : weights.value->items()) {
      ASSIGN_OR_RETURN(double w, ReadNumber(weight, weights.path + "." + member));
      (*out->mutable_model_weights())[member] = w;
    }
  }
  ASSIGN_OR_RETURN(Field output, reader.Get("output"));
  if (output) RETURN_IF_ERROR(ReadString(output, out->mutable_output()));
  ASSIGN_OR_RETURN(Field delay, reader.Get("chunkDelayMs"));
  if (delay) {
    ASSIGN_OR_RETURN(double ms, ReadNumber(*delay.value, delay.path));
    out->set_chunk_delay_ms(ms);
  }
  ASSIGN_OR_RETURN(Field prefill, reader.Get("prefill"));
  if (prefill) RETURN_IF_ERROR(ReadString(prefill, out->mutable_prefill()));
  ASSIGN_OR_RETURN(Field enable_prefill, reader.Get("enablePrefill"));
  if (enable_prefill) {
    ASSIGN_OR_RETURN(bool on, decode::ReadBool(*enable_prefill.value, enable_prefill.path));
    out->set_enable_prefill(on);
  }
  ASSIGN_OR_RETURN(Field retry, reader.Get("retry"));
  if (retry) RETURN_IF_ERROR(decode::DecodeRetry(retry, out->mutable_retry(), map));
  ASSIGN_OR_RETURN(Field mistral, reader.Get("mistralPrefix"));
  if (mistral) {
    ASSIGN_OR_RETURN(bool on, decode::ReadBool(*mistral.value, mistral.path));
    out->set_mistral_prefix(on);
  }
  // gemini only (ValidateConfig rejects them on other types).
  ASSIGN_OR_RETURN(Field system_instruction, reader.Get("systemInstruction"));
  if (system_instruction) {
    ASSIGN_OR_RETURN(bool on, decode::ReadBool(*system_instruction.value, system_instruction.path));
    out->set_system_instruction(on);
  }
  ASSIGN_OR_RETURN(Field safety, reader.Get("safetySettings"));
  if (safety) RETURN_IF_ERROR(DecodeSafetySettings(safety, out->mutable_safety_settings(), map));
  ASSIGN_OR_RETURN(Field budget, reader.Get("thinkingBudget"));
  if (budget) {
    ASSIGN_OR_RETURN(int64_t n, ReadInteger(*budget.value, budget.path, -1, std::numeric_limits<int32_t>::max()));
    out->set_thinking_budget(static_cast<int32_t>(n));
  }
  ASSIGN_OR_RETURN(Field include_thoughts, reader.Get("includeThoughts"));
  if (include_thoughts) {
    ASSIGN_OR_RETURN(bool on, decode::ReadBool(*include_thoughts.value, include_thoughts.path));
    out->set_include_thoughts(on);
  }
  return reader.CheckNoUnknownKeys();
}

// FireRouter's form is a list of processors; {processors: [...]} is accepted too.
absl::Status DecodeChain(const Json& value, const std::string& path, v1::ProcessorChain* out, SourceMap* map) {
  const Json* list = &value;
  if (value.is_object()) {
    ObjectReader reader(value, path, map);
    ASSIGN_OR_RETURN(Field processors, reader.Get("processors"));
    RETURN_IF_ERROR(reader.CheckNoUnknownKeys());
    if (!processors) return absl::OkStatus();
    decode::AliasPaths(map, processors.path, path);
    list = processors.value;
  }
  if (!list->is_array()) return PathError(path, "expected a list of processors");
  for (size_t i = 0; i < list->size(); ++i) {
    RETURN_IF_ERROR(
        decode::DecodeProcessor((*list)[i], path + "[" + std::to_string(i) + "]", out->add_processors(), map));
  }
  return absl::OkStatus();
}

absl::Status DecodeServer(const Field& field, v1::ServerSettings* out, SourceMap* map) {
  RETURN_IF_ERROR(ExpectObject(*field.value, field.path));
  ObjectReader reader(*field.value, field.path, map);
  ASSIGN_OR_RETURN(Field body_limit, reader.Get("bodyLimitBytes"));
  if (body_limit) {
    ASSIGN_OR_RETURN(int64_t n, ReadInteger(*body_limit.value, body_limit.path, 0, kMaxInt));
    out->set_body_limit_bytes(static_cast<uint64_t>(n));
  }
  ASSIGN_OR_RETURN(Field max_concurrent, reader.Get("maxConcurrentRequests"));
  if (max_concurrent) {
    ASSIGN_OR_RETURN(int64_t n, ReadInteger(*max_concurrent.value, max_concurrent.path, 1, 1'000'000));
    out->set_max_concurrent_requests(static_cast<uint32_t>(n));
  }
  struct Seconds {
    std::string_view name;
    void (v1::ServerSettings::*set)(double);
  };
  for (const Seconds& s : {Seconds{"headerTimeoutSeconds", &v1::ServerSettings::set_header_timeout_seconds},
                           Seconds{"bodyTimeoutSeconds", &v1::ServerSettings::set_body_timeout_seconds},
                           Seconds{"idleTimeoutSeconds", &v1::ServerSettings::set_idle_timeout_seconds},
                           Seconds{"keepAliveIntervalSeconds", &v1::ServerSettings::set_keep_alive_interval_seconds},
                           Seconds{"shutdownGraceSeconds", &v1::ServerSettings::set_shutdown_grace_seconds},
                           Seconds{"maxStreamSeconds", &v1::ServerSettings::set_max_stream_seconds}}) {
    ASSIGN_OR_RETURN(Field f, reader.Get(s.name));
    if (!f) continue;
    ASSIGN_OR_RETURN(double d, ReadNumber(*f.value, f.path));
    (out->*s.set)(d);
  }
  return reader.CheckNoUnknownKeys();
}

absl::Status DecodeUpstream(const Field& field, v1::UpstreamSettings* out, SourceMap* map) {
  RETURN_IF_ERROR(ExpectObject(*field.value, field.path));
  ObjectReader reader(*field.value, field.path, map);
  struct Seconds {
    std::string_view name;
    void (v1::UpstreamSettings::*set)(double);
  };
  for (const Seconds& s : {Seconds{"connectTimeoutSeconds", &v1::UpstreamSettings::set_connect_timeout_seconds},
                           Seconds{"firstByteTimeoutSeconds", &v1::UpstreamSettings::set_first_byte_timeout_seconds},
                           Seconds{"idleTimeoutSeconds", &v1::UpstreamSettings::set_idle_timeout_seconds},
                           Seconds{"keyCooldownSeconds", &v1::UpstreamSettings::set_key_cooldown_seconds},
                           Seconds{"keyDisableSeconds", &v1::UpstreamSettings::set_key_disable_seconds},
                           Seconds{"ejectSeconds", &v1::UpstreamSettings::set_eject_seconds}}) {
    ASSIGN_OR_RETURN(Field f, reader.Get(s.name));
    if (!f) continue;
    ASSIGN_OR_RETURN(double d, ReadNumber(*f.value, f.path));
    (out->*s.set)(d);
  }
  ASSIGN_OR_RETURN(Field limit, reader.Get("responseLimitBytes"));
  if (limit) {
    ASSIGN_OR_RETURN(int64_t n, ReadInteger(*limit.value, limit.path, 0, kMaxInt));
    out->set_response_limit_bytes(static_cast<uint64_t>(n));
  }
  ASSIGN_OR_RETURN(Field eject_after, reader.Get("ejectAfterFailures"));
  if (eject_after) {
    ASSIGN_OR_RETURN(int64_t n, ReadInteger(*eject_after.value, eject_after.path, 1, 1000));
    out->set_eject_after_failures(static_cast<uint32_t>(n));
  }
  return reader.CheckNoUnknownKeys();
}

// A top-level map of named entries ("keyProviders", ...), decoded in file order.
template <typename Message, typename DecodeFn>
absl::Status DecodeNamed(const Field& field, google::protobuf::Map<std::string, Message>* out, SourceMap* map,
                         DecodeFn decode_entry) {
  if (!field) return absl::OkStatus();
  RETURN_IF_ERROR(ExpectObject(*field.value, field.path));
  for (const auto& [name, value] : field.value->items()) {
    RETURN_IF_ERROR(decode_entry(value, field.path + "." + name, &(*out)[name], map));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeConfig(const Json& root, Config* config, SourceMap* source_map) {
  if (root.is_null()) {
    return absl::InvalidArgumentError("the config is empty (expected keys such as port, keyProviders, modelProviders)");
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError("expected a mapping at the top level (port, keyProviders, modelProviders, ...)");
  }
  ObjectReader reader(root, "", source_map);
  ASSIGN_OR_RETURN(Field port, reader.Get("port"));
  if (port) {
    ASSIGN_OR_RETURN(int64_t p, ReadInteger(*port.value, port.path, 0, 65535));
    config->set_port(static_cast<uint32_t>(p));
  }
  ASSIGN_OR_RETURN(Field keys, reader.Get("keyProviders"));
  RETURN_IF_ERROR(DecodeNamed(keys, config->mutable_key_providers(), source_map, DecodeKeyProvider));
  ASSIGN_OR_RETURN(Field models, reader.Get("modelProviders"));
  RETURN_IF_ERROR(DecodeNamed(models, config->mutable_model_providers(), source_map, DecodeModelProvider));
  ASSIGN_OR_RETURN(Field chains, reader.Get("processorChains"));
  RETURN_IF_ERROR(DecodeNamed(chains, config->mutable_processor_chains(), source_map, DecodeChain));
  ASSIGN_OR_RETURN(Field server, reader.Get("server"));
  if (server) RETURN_IF_ERROR(DecodeServer(server, config->mutable_server(), source_map));
  ASSIGN_OR_RETURN(Field upstream, reader.Get("upstream"));
  if (upstream) RETURN_IF_ERROR(DecodeUpstream(upstream, config->mutable_upstream(), source_map));
  ASSIGN_OR_RETURN(Field profiles, reader.Get("clientProfiles"));
  RETURN_IF_ERROR(DecodeNamed(profiles, config->mutable_client_profiles(), source_map, decode::DecodeClientProfile));
  ASSIGN_OR_RETURN(Field default_model, reader.Get("defaultModel"));
  RETURN_IF_ERROR(ReadString(default_model, config->mutable_default_model()));
  ASSIGN_OR_RETURN(Field cors, reader.Get("cors"));
  if (cors) RETURN_IF_ERROR(decode::DecodeCors(cors, config->mutable_cors(), source_map));
  ASSIGN_OR_RETURN(Field retry, reader.Get("retry"));
  if (retry) RETURN_IF_ERROR(decode::DecodeRetry(retry, config->mutable_retry(), source_map));
  ASSIGN_OR_RETURN(Field client_keys, reader.Get("clientKeys"));
  RETURN_IF_ERROR(DecodeNamed(client_keys, config->mutable_client_keys(), source_map, decode::DecodeClientKey));
  ASSIGN_OR_RETURN(Field logging, reader.Get("logging"));
  if (logging) RETURN_IF_ERROR(decode::DecodeLogging(logging, config->mutable_logging(), source_map));
  return reader.CheckNoUnknownKeys();
}

}  // namespace switchboard::config
