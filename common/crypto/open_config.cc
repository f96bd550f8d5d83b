#include "common/crypto/open_config.h"

#include <openssl/crypto.h>

#include "common/status.h"

namespace switchboard::crypto {
namespace {

// "line 3: salt: ..." -> "<source>:3: salt: ..."; anything else gets
// "<source>: " in front.
absl::Status WithSource(const absl::Status& status, std::string_view source_name) {
  std::string message(status.message());
  std::string source(source_name);
  if (message.rfind("line ", 0) == 0) {
    size_t colon = message.find(": ");
    if (colon != std::string::npos) return absl::Status(status.code(), source + ":" + message.substr(5));
  }
  return absl::Status(status.code(), source + ": " + message);
}

// Erases a string's bytes when it goes out of scope.
class Erased {
 public:
  explicit Erased(std::string& text) : text_(text) {}
  ~Erased() { OPENSSL_cleanse(text_.data(), text_.size()); }
  Erased(const Erased&) = delete;
  Erased& operator=(const Erased&) = delete;

 private:
  std::string& text_;
};

}  // namespace

absl::StatusOr<std::string> OpenSealedText(std::string_view text, std::string_view source_name,
                                           const PasswordFn& password) {
  auto header = ReadSealedHeader(text);
  if (!header.ok()) return WithSource(header.status(), source_name);
  if (!password) return absl::InvalidArgumentError(std::string(source_name) + ": the config is sealed; no password given");
  auto secret = password();
  if (!secret.ok()) return WithSource(secret.status(), source_name);
  Erased erase_password(*secret);
  auto plaintext = Open(text, *secret);
  if (!plaintext.ok()) return WithSource(plaintext.status(), source_name);
  return plaintext;
}

absl::StatusOr<OpenedConfig> OpenConfigText(std::string_view text, std::string_view source_name,
                                            const PasswordFn& password) {
  OpenedConfig opened;
  if (!LooksSealed(text)) {
    ASSIGN_OR_RETURN(opened.loaded, config::ParseConfigText(text, source_name));
    return opened;
  }
  auto header = ReadSealedHeader(text);
  if (!header.ok()) return WithSource(header.status(), source_name);
  opened.sealed = true;
  opened.scrypt = header->scrypt;
  ASSIGN_OR_RETURN(std::string plaintext, OpenSealedText(text, source_name, password));
  Erased erase_plaintext(plaintext);
  if (LooksSealed(plaintext)) {
    return absl::InvalidArgumentError(std::string(source_name) + ": sealed twice (the plaintext is sealed again)");
  }
  ASSIGN_OR_RETURN(opened.loaded, config::ParseConfigText(plaintext, source_name));
  return opened;
}

absl::StatusOr<OpenedConfig> OpenConfigFile(const std::string& path, const PasswordFn& password) {
  ASSIGN_OR_RETURN(std::string text, config::ReadConfigFile(path));
  return OpenConfigText(text, path, password);
}

}  // namespace switchboard::crypto
