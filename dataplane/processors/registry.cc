#include "dataplane/processors/registry.h"

#include <cstdint>

#include "dataplane/processors/insert_message.h"
#include "dataplane/processors/override_samplers.h"
#include "dataplane/processors/random_processor.h"
#include "dataplane/processors/regex_processor.h"
#include "dataplane/processors/role_processors.h"
#include "dataplane/processors/squash.h"

namespace switchboard::processors {
namespace {

// The type-specific fields of a Processor message, as bits.
enum Field : uint32_t {
  kSamplers = 1u << 0,
  kPattern = 1u << 1,
  kFlags = 1u << 2,
  kReplacement = 1u << 3,
  kProcessorList = 1u << 4,
  kProcessorWeights = 1u << 5,
  kRole = 1u << 6,
  kSquashString = 1u << 7,
  kRoles = 1u << 8,
  kContent = 1u << 9,
  kPosition = 1u << 10,
  kProcessors = 1u << 11,
};

struct FieldInfo {
  Field field;
  std::string_view config_name;  // FireRouter's key
  bool (*is_set)(const ProcessorConfig& config);
};

const FieldInfo kFields[] = {
    {kSamplers, "samplers", [](const ProcessorConfig& c) { return c.samplers_size() > 0; }},
    {kPattern, "pattern", [](const ProcessorConfig& c) { return !c.pattern().empty(); }},
    {kFlags, "flags", [](const ProcessorConfig& c) { return !c.flags().empty(); }},
    {kReplacement, "replacement", [](const ProcessorConfig& c) { return c.has_replacement(); }},
    {kProcessorList, "processorList",
     [](const ProcessorConfig& c) { return c.processor_list_size() > 0; }},
    {kProcessorWeights, "processorWeights",
     [](const ProcessorConfig& c) { return c.processor_weights_size() > 0; }},
    {kRole, "role", [](const ProcessorConfig& c) { return !c.role().empty(); }},
    {kSquashString, "squashString", [](const ProcessorConfig& c) { return c.has_squash_string(); }},
    {kRoles, "roles", [](const ProcessorConfig& c) { return c.roles_size() > 0; }},
    {kContent, "content", [](const ProcessorConfig& c) { return c.has_content(); }},
    {kPosition, "position", [](const ProcessorConfig& c) { return c.has_position(); }},
    {kProcessors, "processors", [](const ProcessorConfig& c) { return c.processors_size() > 0; }},
};

struct ProcessorType {
  std::string_view name;
  ProcessorFactory build;
  uint32_t fields;  // the Field bits this type reads
};

// The builtin processor types: the registration table.
const ProcessorType kBuiltinTypes[] = {
    {"nodanglingsys", &BuildNoDanglingSys, 0},
    {"nosys", &BuildNoSys, 0},
    {"overridesamplers", &BuildOverrideSamplers, kSamplers},
    {"regex", &BuildRegex, kPattern | kFlags | kReplacement},
    {"random", &BuildRandom, kProcessorList | kProcessorWeights},
    {"noass", &BuildNoAss, kRole},
    {"squash", &BuildSquash, kSquashString | kRoles},
    {"insertmessage", &BuildInsertMessage, kRole | kContent | kPosition},
    {"chain", &BuildChainProcessor, kProcessors},
};

std::string KnownTypes() {
  std::string text;
  for (const ProcessorType& type : kBuiltinTypes) {
    if (!text.empty()) text += ", ";
    text += type.name;
  }
  return text;
}

}  // namespace

std::vector<std::string_view> BuiltinProcessorTypes() {
  std::vector<std::string_view> names;
  for (const ProcessorType& type : kBuiltinTypes) names.push_back(type.name);
  return names;
}

absl::StatusOr<std::unique_ptr<const Processor>> BuildProcessor(const ProcessorConfig& config,
                                                                const std::string& path) {
  if (config.type().empty()) {
    return ConfigError(FieldPath(path, "type"), "required (one of " + KnownTypes() + ")");
  }
  const ProcessorType* type = nullptr;
  for (const ProcessorType& candidate : kBuiltinTypes) {
    if (candidate.name == config.type()) type = &candidate;
  }
  if (type == nullptr) {
    return ConfigError(FieldPath(path, "type"), "unknown processor type '" + config.type() +
                                                    "' (known: " + KnownTypes() + ")");
  }
  for (const FieldInfo& field : kFields) {
    if ((type->fields & field.field) == 0 && field.is_set(config)) {
      return ConfigError(FieldPath(path, field.config_name),
                         "not a field of processor type '" + config.type() + "'");
    }
  }
  return type->build(config, path);
}

absl::StatusOr<std::shared_ptr<const Chain>> BuildChain(
    const ::switchboard::config::v1::ProcessorChain& config, const std::string& path) {
  std::vector<ProcessorPtr> processors;
  processors.reserve(config.processors_size());
  for (int i = 0; i < config.processors_size(); ++i) {
    absl::StatusOr<ProcessorPtr> processor =
        BuildProcessor(config.processors(i), path + "[" + std::to_string(i) + "]");
    if (!processor.ok()) return processor.status();
    processors.push_back(std::move(processor).value());
  }
  return std::make_shared<const Chain>(std::move(processors));
}

}  // namespace switchboard::processors
