// Fuzz target: FunTimeRouter's providers.json. The input is parsed as JSON
// and, when it has providers.json's shape, decoded straight into a config
// (DecodeProvidersJson), validated and built into a snapshot; the same text
// also goes through ParseConfigText, the way the data plane reads a file.
// Errors must carry a message; nothing may crash or throw.

#include <cstdint>

#include "common/config/providers_json.h"
#include "common/config/validate.h"
#include "common/config/yaml_tree.h"
#include "tests/fuzz/config_snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::fuzz;
  namespace config = switchboard::config;
  std::string_view text = AsText(data, size);

  config::Json root = config::Json::parse(text, nullptr, false);
  if (!root.is_discarded() && config::IsProvidersJson(root)) {
    config::LoadedConfig loaded;
    loaded.source_name = "providers.json";
    loaded.form = "providers.json";
    absl::Status status = config::DecodeProvidersJson(root, &loaded.config, &loaded.source_map, &loaded.path_aliases);
    if (status.ok()) status = config::ValidateConfig(loaded.config);
    if (!status.ok()) {
      CheckError(config::AnnotateWithSource(status, loaded));
    } else {
      UseSnapshot(loaded);
    }
  }

  auto loaded = config::ParseConfigText(text, "providers.json");
  if (!loaded.ok()) {
    CheckError(loaded.status());
    return 0;
  }
  UseSnapshot(*loaded);
  return 0;
}
