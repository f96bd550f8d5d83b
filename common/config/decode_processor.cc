// Decoding one processor of a chain (FireRouter's ProcessorConfiguration).
#include <algorithm>
#include <cstdint>
#include <limits>

#include "common/config/decode_util.h"
#include "common/config/validate.h"
#include "common/status.h"

namespace switchboard::config::decode {
namespace {

namespace v1 = ::switchboard::config::v1;

bool IsKnownType(const std::string& type) {
  return std::find(std::begin(kProcessorTypes), std::end(kProcessorTypes), type) != std::end(kProcessorTypes);
}

// overridesamplers: every key but `type` is a sampler: a number, or "unset".
absl::Status DecodeSamplers(const Json& value, const std::string& path, v1::Processor* out) {
  for (const auto& [key, sampler] : value.items()) {
    if (key == "type") continue;
    v1::SamplerOverride& override = (*out->mutable_samplers())[key];
    if (sampler.is_number()) {
      override.set_number(sampler.get<double>());
    } else if (sampler.is_string() && sampler.get<std::string>() == "unset") {
      override.set_unset(true);
    } else {
      return PathError(path + "." + key, "expected a number or \"unset\"");
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeProcessorList(const Field& field, google::protobuf::RepeatedPtrField<v1::Processor>* out,
                                 SourceMap* map) {
  if (!field) return absl::OkStatus();
  if (!field.value->is_array()) return PathError(field.path, "expected a list of processors");
  for (size_t i = 0; i < field.value->size(); ++i) {
    RETURN_IF_ERROR(DecodeProcessor((*field.value)[i], field.path + "[" + std::to_string(i) + "]", out->Add(), map));
  }
  return absl::OkStatus();
}

absl::Status DecodeWeightedList(const Field& field, v1::Processor* out, SourceMap* map) {
  if (!field) return absl::OkStatus();
  if (!field.value->is_array()) {
    return PathError(field.path, "expected a list of {weight, config}");
  }
  for (size_t i = 0; i < field.value->size(); ++i) {
    const std::string item_path = field.path + "[" + std::to_string(i) + "]";
    const Json& item = (*field.value)[i];
    RETURN_IF_ERROR(ExpectObject(item, item_path));
    v1::WeightedProcessor* weighted = out->add_processor_weights();
    ObjectReader reader(item, item_path, map);
    ASSIGN_OR_RETURN(Field weight, reader.Get("weight"));
    if (weight) {
      ASSIGN_OR_RETURN(double w, ReadNumber(*weight.value, weight.path));
      weighted->set_weight(w);
    }
    ASSIGN_OR_RETURN(Field config, reader.Get("config"));
    if (config) RETURN_IF_ERROR(DecodeProcessor(*config.value, config.path, weighted->mutable_config(), map));
    RETURN_IF_ERROR(reader.CheckNoUnknownKeys());
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeProcessor(const Json& value, const std::string& path, v1::Processor* out, SourceMap* map) {
  RETURN_IF_ERROR(ExpectObject(value, path));
  ObjectReader reader(value, path, map);
  ASSIGN_OR_RETURN(Field type, reader.Get("type"));
  RETURN_IF_ERROR(ReadString(type, out->mutable_type()));
  if (out->type() == "overridesamplers") return DecodeSamplers(value, path, out);

  ASSIGN_OR_RETURN(Field pattern, reader.Get("pattern"));
  RETURN_IF_ERROR(ReadString(pattern, out->mutable_pattern()));
  ASSIGN_OR_RETURN(Field flags, reader.Get("flags"));
  RETURN_IF_ERROR(ReadString(flags, out->mutable_flags()));
  ASSIGN_OR_RETURN(Field replacement, reader.Get("replacement"));
  if (replacement) RETURN_IF_ERROR(ReadString(replacement, out->mutable_replacement()));
  ASSIGN_OR_RETURN(Field processor_list, reader.Get("processorList"));
  RETURN_IF_ERROR(DecodeProcessorList(processor_list, out->mutable_processor_list(), map));
  ASSIGN_OR_RETURN(Field processor_weights, reader.Get("processorWeights"));
  RETURN_IF_ERROR(DecodeWeightedList(processor_weights, out, map));
  ASSIGN_OR_RETURN(Field role, reader.Get("role"));
  RETURN_IF_ERROR(ReadString(role, out->mutable_role()));
  ASSIGN_OR_RETURN(Field squash_string, reader.Get("squashString"));
  if (squash_string) RETURN_IF_ERROR(ReadString(squash_string, out->mutable_squash_string()));
  ASSIGN_OR_RETURN(Field roles, reader.Get("roles"));
  RETURN_IF_ERROR(ReadStringList(roles, out->mutable_roles()));
  ASSIGN_OR_RETURN(Field content, reader.Get("content"));
  if (content) RETURN_IF_ERROR(ReadString(content, out->mutable_content()));
  ASSIGN_OR_RETURN(Field position, reader.Get("position"));
  if (position) {
    ASSIGN_OR_RETURN(int64_t p, ReadInteger(*position.value, position.path, std::numeric_limits<int64_t>::min(),
                                            std::numeric_limits<int64_t>::max()));
    out->set_position(p);
  }
  ASSIGN_OR_RETURN(Field processors, reader.Get("processors"));
  RETURN_IF_ERROR(DecodeProcessorList(processors, out->mutable_processors(), map));
  // With a missing or unknown type, ValidateConfig reports the type instead:
  // "unknown key 'temperature'" would mislead when the type was misspelt.
  if (!IsKnownType(out->type())) return absl::OkStatus();
  return reader.CheckNoUnknownKeys();
}

}  // namespace switchboard::config::decode
