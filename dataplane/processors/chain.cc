#include "dataplane/processors/chain.h"

#include "dataplane/processors/registry.h"

namespace switchboard::processors {

void Chain::Apply(nlohmann::json& request, Rng& rng) const {
  for (const ProcessorPtr& processor : processors_) processor->Apply(request, rng);
}

absl::StatusOr<ProcessorPtr> BuildChainProcessor(const ProcessorConfig& config,
                                                 const std::string& path) {
  if (config.processors().empty()) {
    return ConfigError(FieldPath(path, "processors"), "required (a non-empty list of processors)");
  }
  std::vector<ProcessorPtr> processors;
  processors.reserve(config.processors_size());
  for (int i = 0; i < config.processors_size(); ++i) {
    absl::StatusOr<ProcessorPtr> processor = BuildProcessor(
        config.processors(i), FieldPath(path, "processors[" + std::to_string(i) + "]"));
    if (!processor.ok()) return processor.status();
    processors.push_back(std::move(processor).value());
  }
  return std::make_unique<const Chain>(std::move(processors));
}

}  // namespace switchboard::processors
