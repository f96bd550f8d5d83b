#pragma once
// Loading a config in any of its forms: FireRouter YAML/JSON, FunTimeRouter's
// providers.json, or either of them sealed (sealed_config.h). What the data
// plane and `switchboard-config` both use, so they accept the same things.
// Pure apart from the password callback; thread-safe when it is.

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/config/load.h"
#include "common/crypto/sealed_config.h"

namespace switchboard::crypto {

// Asked for the password only when the text is sealed. Errors are passed on
// as they are ("no password: set SWITCHBOARD_CONFIG_PASSWORD ...").
using PasswordFn = std::function<absl::StatusOr<std::string>()>;

struct OpenedConfig {
  config::LoadedConfig loaded;
  bool sealed = false;
  ScryptParams scrypt;  // when sealed
};

// Opens (when sealed) and parses `text`. Errors name the source:
//   "providers.enc: wrong password or the file was altered (GCM tag mismatch)"
//   "providers.enc:3: salt: not valid base64"
//   "providers.enc:12: providers[0].base_url: required ..." (line of the plaintext)
// The plaintext lives only in memory and is erased before returning.
absl::StatusOr<OpenedConfig> OpenConfigText(std::string_view text, std::string_view source_name,
                                            const PasswordFn& password);

// The same for a file (at most 16 MiB).
absl::StatusOr<OpenedConfig> OpenConfigFile(const std::string& path, const PasswordFn& password);

// Opens sealed text to its plaintext (not parsed); errors as above. For
// `switchboard-config decrypt`.
absl::StatusOr<std::string> OpenSealedText(std::string_view text, std::string_view source_name,
                                           const PasswordFn& password);

}  // namespace switchboard::crypto
