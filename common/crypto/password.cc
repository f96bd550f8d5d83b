#include "common/crypto/password.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace switchboard::crypto {

std::optional<Password> PasswordFromEnvironment() {
  for (const char* name : kPasswordVariables) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return Password{value, name};
  }
  return std::nullopt;
}

absl::StatusOr<Password> ReadPasswordFile(const std::string& path) {
  constexpr size_t kMaxBytes = 4096;
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    int error = errno;
    return absl::Status(absl::ErrnoToStatusCode(error),
                        "cannot read password file '" + path + "': " + std::strerror(error));
  }
  Password password{std::string(kMaxBytes + 1, '\0'), "file " + path};
  size_t n = std::fread(password.value.data(), 1, password.value.size(), file);
  bool failed = std::ferror(file) != 0;
  std::fclose(file);
  password.value.resize(n);
  if (failed) return absl::InternalError("cannot read password file '" + path + "'");
  if (n > kMaxBytes) return absl::InvalidArgumentError("password file '" + path + "' is larger than 4 KiB");
  if (!password.value.empty() && password.value.back() == '\n') password.value.pop_back();
  if (!password.value.empty() && password.value.back() == '\r') password.value.pop_back();
  if (password.value.empty()) return absl::InvalidArgumentError("password file '" + path + "' is empty");
  return password;
}

}  // namespace switchboard::crypto
