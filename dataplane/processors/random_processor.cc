#include "dataplane/processors/random_processor.h"

#include <cmath>
#include <sstream>

#include "dataplane/processors/registry.h"

namespace switchboard::processors {
namespace {

std::string Indexed(std::string_view path, std::string_view field, int index) {
  return FieldPath(path, std::string(field) + "[" + std::to_string(index) + "]");
}

std::string FormatNumber(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

}  // namespace

void RandomProcessor::Apply(nlohmann::json& request, Rng& rng) const {
  choices_[picker_.Pick(rng)]->Apply(request, rng);
}

absl::StatusOr<ProcessorPtr> BuildRandom(const ProcessorConfig& config, const std::string& path) {
  std::vector<ProcessorPtr> choices;
  std::vector<double> weights;
  if (!config.processor_weights().empty()) {
    for (int i = 0; i < config.processor_weights_size(); ++i) {
      const auto& entry = config.processor_weights(i);
      const std::string entry_path = Indexed(path, "processorWeights", i);
      if (!std::isfinite(entry.weight()) || entry.weight() <= 0) {
        return ConfigError(FieldPath(entry_path, "weight"),
                           "weight must be a finite number > 0 (got " +
                               FormatNumber(entry.weight()) + ")");
      }
      if (!entry.has_config()) {
        return ConfigError(FieldPath(entry_path, "config"), "required (a processor)");
      }
      absl::StatusOr<ProcessorPtr> choice =
          BuildProcessor(entry.config(), FieldPath(entry_path, "config"));
      if (!choice.ok()) return choice.status();
      choices.push_back(std::move(choice).value());
      weights.push_back(entry.weight());
    }
  } else if (!config.processor_list().empty()) {
    for (int i = 0; i < config.processor_list_size(); ++i) {
      absl::StatusOr<ProcessorPtr> choice =
          BuildProcessor(config.processor_list(i), Indexed(path, "processorList", i));
      if (!choice.ok()) return choice.status();
      choices.push_back(std::move(choice).value());
      weights.push_back(1.0);
    }
  } else {
    return ConfigError(path,
                       "random needs a non-empty processorList or processorWeights");
  }
  return std::make_unique<const RandomProcessor>(std::move(choices), WeightedPicker(weights));
}

}  // namespace switchboard::processors
