// Fuzz target: config text (FireRouter's YAML or JSON, or FunTimeRouter's
// providers.json — ParseConfigText tells them apart) through loading,
// validation and the snapshot build, then the snapshot in use
// (config_snapshot.h). A bad config must be an error with a message, never a
// crash, an exception or a snapshot that misroutes.

#include <cstdint>

#include "tests/fuzz/config_snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::fuzz;
  auto loaded = switchboard::config::ParseConfigText(AsText(data, size), "fuzz.yaml");
  if (!loaded.ok()) {
    CheckError(loaded.status());
    return 0;
  }
  UseSnapshot(*loaded);
  return 0;
}
