// Fuzz target: sealed (encrypted) configs, common/crypto.
//
// The input goes to OpenConfigText as a file would (a fixed password): a
// sealed file's header, base64 and tag are checked before anything is
// decrypted, and plain text is parsed as a config. Then the input is sealed as
// a plaintext (with the cheapest scrypt parameters a reader accepts) and
// opened again: that must give back exactly what parsing the plaintext gives,
// and with a wrong password the tag-mismatch error.

#include <cstdint>
#include <string>

#include <google/protobuf/util/message_differencer.h>

#include "common/crypto/open_config.h"
#include "tests/fuzz/config_snapshot.h"

namespace switchboard::fuzz {
namespace {

constexpr std::string_view kPassword = "fuzz-password";

absl::StatusOr<std::string> Password() { return std::string(kPassword); }
absl::StatusOr<std::string> WrongPassword() { return std::string("not-the-password"); }

void CheckOpenError(const absl::Status& status) {
  if (status.message().empty()) Fail("an error without a message");
  if (absl::IsInternal(status) && std::string(status.message()).find("loading the config failed") != std::string::npos) {
    Fail("opening a config threw:", status);
  }
}

}  // namespace
}  // namespace switchboard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::fuzz;
  namespace crypto = switchboard::crypto;
  std::string_view text = AsText(data, size);

  auto opened = crypto::OpenConfigText(text, "fuzz.enc", Password);
  if (!opened.ok()) {
    CheckOpenError(opened.status());
  } else if (opened->sealed) {
    // Only a fuzzer that forged AES-GCM gets here.
    UseSnapshot(opened->loaded);
  }
  (void)crypto::LooksSealed(text);
  (void)crypto::ReadSealedHeader(text);

  if (crypto::LooksSealed(text)) return 0;
  crypto::ScryptParams cheap;
  cheap.n = crypto::kScryptMinN;
  cheap.r = 1;
  cheap.p = 1;
  auto sealed = crypto::Seal(text, kPassword, cheap);
  if (!sealed.ok()) {
    if (text.size() <= crypto::kMaxSealedPlaintextBytes) Fail("sealing failed:", sealed.status());
    return 0;
  }
  auto reopened = crypto::OpenConfigText(*sealed, "fuzz.enc", Password);
  auto direct = switchboard::config::ParseConfigText(text, "fuzz.enc");
  if (reopened.ok() != direct.ok()) Fail("a sealed config opens unlike its plaintext parses");
  if (!reopened.ok()) {
    if (reopened.status().message() != direct.status().message()) {
      Fail("a sealed config's error differs from its plaintext's:", reopened.status());
    }
  } else if (!google::protobuf::util::MessageDifferencer::Equals(reopened->loaded.config, direct->config)) {
    Fail("a sealed config opens into another config");
  }
  auto wrong = crypto::OpenConfigText(*sealed, "fuzz.enc", WrongPassword);
  if (wrong.ok() || std::string(wrong.status().message()).find(crypto::kTagMismatch) == std::string::npos) {
    Fail("a wrong password did not give the tag mismatch");
  }
  return 0;
}
