#include "common/crypto/sealed_config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/status.h"

namespace switchboard::crypto {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kKeyBytes = 32;
constexpr size_t kBase64LineChars = 76;

absl::Status LineError(int line, std::string_view message) {
  return absl::InvalidArgumentError("line " + std::to_string(line) + ": " + std::string(message));
}

// A 32-byte key that erases itself.
struct Key {
  unsigned char bytes[kKeyBytes];
  ~Key() { OPENSSL_cleanse(bytes, sizeof bytes); }
};

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

std::string Base64(std::string_view bytes) {
  std::string out;
  absl::Base64Escape(absl::string_view(bytes.data(), bytes.size()), &out);
  return out;
}

// Strict: the standard alphabet, '=' padding required, no whitespace.
bool Unbase64(std::string_view text, std::string* out) {
  if (text.size() % 4 != 0) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    bool padding = c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text[i + 1] == '=');
    if (!alpha && !padding) return false;
  }
  return absl::Base64Unescape(absl::string_view(text.data(), text.size()), out);
}

std::string CanonicalHeader(const SealedHeader& header) {
  return std::string(kSealedMagic) + " " + std::string(kSealedVersion) + "\n" +
         "kdf: scrypt N=" + std::to_string(header.scrypt.n) + " r=" + std::to_string(header.scrypt.r) +
         " p=" + std::to_string(header.scrypt.p) + "\n" + "salt: " + Base64(header.salt) + "\n" +
         "nonce: " + Base64(header.nonce) + "\n";
}

// The text's lines, without line ends and trailing spaces or tabs.
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

// "<name>=<decimal>" with no sign and no leading zeros.
bool ParseParam(std::string_view word, std::string_view name, uint64_t* out) {
  if (word.size() <= name.size() + 1 || word.substr(0, name.size()) != name || word[name.size()] != '=') return false;
  std::string_view digits = word.substr(name.size() + 1);
  if (digits.size() > 1 && digits[0] == '0') return false;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *out);
  return ec == std::errc() && end == digits.data() + digits.size();
}

absl::StatusOr<ScryptParams> ParseKdf(std::string_view value) {
  ScryptParams params;
  std::vector<std::string_view> words;
  while (!value.empty()) {
    size_t space = value.find(' ');
    if (space != 0) words.push_back(value.substr(0, space));
    if (space == std::string_view::npos) break;
    value.remove_prefix(space + 1);
  }
  if (words.size() != 4 || words[0] != "scrypt" || !ParseParam(words[1], "N", &params.n) ||
      !ParseParam(words[2], "r", &params.r) || !ParseParam(words[3], "p", &params.p)) {
    return absl::InvalidArgumentError("expected 'scrypt N=<n> r=<r> p=<p>'");
  }
  return params;
}

// "<name>: <value>" -> value, or an error naming the line.
absl::StatusOr<std::string_view> Field(const std::vector<std::string_view>& lines, size_t index,
                                       std::string_view name) {
  int number = static_cast<int>(index) + 1;
  if (index >= lines.size()) return LineError(number, "missing '" + std::string(name) + ":' (the file is truncated)");
  std::string_view line = lines[index];
  std::string prefix = std::string(name) + ":";
  if (line.substr(0, prefix.size()) != prefix) {
    return LineError(number, "expected '" + prefix + "'");
  }
  std::string_view value = line.substr(prefix.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return value;
}

absl::StatusOr<SealedHeader> ParseHeader(const std::vector<std::string_view>& lines) {
  if (lines.empty() || lines[0].substr(0, kSealedMagic.size()) != kSealedMagic) {
    return LineError(1, "not a sealed config (the first line must be '" + std::string(kSealedMagic) + " " +
                            std::string(kSealedVersion) + "')");
  }
  std::string_view version = lines[0].substr(kSealedMagic.size());
  if (version.empty() || version.front() != ' ') {
    return LineError(1, "not a sealed config (the first line must be '" + std::string(kSealedMagic) + " " +
                            std::string(kSealedVersion) + "')");
  }
  version.remove_prefix(1);
  if (version != kSealedVersion) {
    return LineError(1, "unsupported sealed config version '" + std::string(version) + "' (this build reads " +
                            std::string(kSealedVersion) + ")");
  }
  SealedHeader header;
  ASSIGN_OR_RETURN(std::string_view kdf, Field(lines, 1, "kdf"));
  auto params = ParseKdf(kdf);
  if (!params.ok()) return LineError(2, "kdf: " + std::string(params.status().message()));
  header.scrypt = *params;
  if (absl::Status bounds = CheckScryptParams(header.scrypt); !bounds.ok()) {
    return LineError(2, "kdf: " + std::string(bounds.message()));
  }
  ASSIGN_OR_RETURN(std::string_view salt, Field(lines, 2, "salt"));
  if (!Unbase64(salt, &header.salt)) return LineError(3, "salt: not valid base64");
  if (header.salt.size() != kSaltBytes) {
    return LineError(3, "salt: expected " + std::to_string(kSaltBytes) + " bytes, got " +
                            std::to_string(header.salt.size()));
  }
  ASSIGN_OR_RETURN(std::string_view nonce, Field(lines, 3, "nonce"));
  if (!Unbase64(nonce, &header.nonce)) return LineError(4, "nonce: not valid base64");
  if (header.nonce.size() != kNonceBytes) {
    return LineError(4, "nonce: expected " + std::to_string(kNonceBytes) + " bytes, got " +
                            std::to_string(header.nonce.size()));
  }
  return header;
}

absl::Status DeriveKey(std::string_view password, const SealedHeader& header, Key* key) {
  const ScryptParams& s = header.scrypt;
  // OpenSSL counts the V array (128*r*(N+2)) and B (128*r*p); leave slack.
  uint64_t max_memory = 128 * s.r * (s.n + 2) + 128 * s.r * s.p + (uint64_t{1} << 20);
  if (EVP_PBE_scrypt(password.data(), password.size(), reinterpret_cast<const unsigned char*>(header.salt.data()),
                     header.salt.size(), s.n, s.r, s.p, max_memory, key->bytes, sizeof key->bytes) != 1) {
    return absl::ResourceExhaustedError("scrypt failed (out of memory?)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckScryptParams(const ScryptParams& params) {
  auto out_of_bounds = [&](std::string what) {
    return absl::InvalidArgumentError("scrypt parameters N=" + std::to_string(params.n) +
                                      " r=" + std::to_string(params.r) + " p=" + std::to_string(params.p) +
                                      " refused: " + what);
  };
  if (params.n < kScryptMinN || params.n > kScryptMaxN || (params.n & (params.n - 1)) != 0) {
    return out_of_bounds("N must be a power of two from 2^10 to 2^20");
  }
  if (params.r < 1 || params.r > kScryptMaxR) return out_of_bounds("r must be 1 to 32");
  if (params.p < 1 || params.p > kScryptMaxP) return out_of_bounds("p must be 1 to 16");
  if (128 * params.n * params.r > kScryptMaxMemoryBytes) return out_of_bounds("they need more than 256 MiB");
  if (params.n * params.r * params.p > kScryptMaxWork) return out_of_bounds("N*r*p is more than 2^24");
  return absl::OkStatus();
}

bool LooksSealed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' ||
                           text.front() == '\n')) {
    text.remove_prefix(1);
  }
  return text.substr(0, kSealedMagic.size()) == kSealedMagic;
}

absl::StatusOr<SealedHeader> ReadSealedHeader(std::string_view text) { return ParseHeader(SplitLines(text)); }

absl::StatusOr<std::string> Seal(std::string_view plaintext, std::string_view password, const ScryptParams& params) {
  if (password.empty()) return absl::InvalidArgumentError("the password is empty");
  if (plaintext.size() > kMaxSealedPlaintextBytes) return absl::InvalidArgumentError("the config is larger than 16 MiB");
  RETURN_IF_ERROR(CheckScryptParams(params));
  SealedHeader header;
  header.scrypt = params;
  header.salt.resize(kSaltBytes);
  header.nonce.resize(kNonceBytes);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(header.salt.data()), kSaltBytes) != 1 ||
      RAND_bytes(reinterpret_cast<unsigned char*>(header.nonce.data()), kNonceBytes) != 1) {
    return absl::InternalError("RAND_bytes failed");
  }
  Key key;
  RETURN_IF_ERROR(DeriveKey(password, header, &key));
  const std::string aad = CanonicalHeader(header);

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string sealed(plaintext.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  int n = 0;
  bool ok = ctx != nullptr && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes,
                               reinterpret_cast<const unsigned char*>(header.nonce.data())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), out, &n, reinterpret_cast<const unsigned char*>(plaintext.data()),
                              static_cast<int>(plaintext.size())) == 1;
  int written = n;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), out + written, &n) == 1;
  written += n;
  ok = ok && static_cast<size_t>(written) == plaintext.size() &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, out + written) == 1;
  if (!ok) return absl::InternalError("AES-256-GCM encryption failed");

  std::string text = aad + "ciphertext:\n";
  std::string body = Base64(sealed);
  for (size_t i = 0; i < body.size(); i += kBase64LineChars) {
    text.append(body, i, kBase64LineChars);
    text += '\n';
  }
  return text;
}

absl::StatusOr<std::string> Open(std::string_view sealed, std::string_view password) {
  if (password.empty()) return absl::InvalidArgumentError("the password is empty");
  std::vector<std::string_view> lines = SplitLines(sealed);
  ASSIGN_OR_RETURN(SealedHeader header, ParseHeader(lines));
  ASSIGN_OR_RETURN(std::string_view rest, Field(lines, 4, "ciphertext"));
  if (!rest.empty()) return LineError(5, "expected 'ciphertext:' alone on its line");
  std::string body;
  for (size_t i = 5; i < lines.size(); ++i) {
    for (char c : lines[i]) {
      if (c != ' ' && c != '\t') body += c;
    }
  }
  std::string data;
  if (!Unbase64(body, &data)) return absl::InvalidArgumentError("ciphertext: not valid base64");
  if (data.size() < kTagBytes) {
    return absl::InvalidArgumentError("ciphertext: shorter than the 16-byte tag (the file is truncated)");
  }
  if (data.size() - kTagBytes > kMaxSealedPlaintextBytes) {
    return absl::InvalidArgumentError("ciphertext: the config is larger than 16 MiB");
  }

  Key key;
  RETURN_IF_ERROR(DeriveKey(password, header, &key));
  const std::string aad = CanonicalHeader(header);
  const size_t length = data.size() - kTagBytes;
  auto* in = reinterpret_cast<unsigned char*>(data.data());
  std::string plaintext(length, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  bool ok = ctx != nullptr && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.bytes,
                               reinterpret_cast<const unsigned char*>(header.nonce.data())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), out, &n, in, static_cast<int>(length)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, in + length) == 1;
  if (!ok) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return absl::InternalError("AES-256-GCM decryption failed");
  }
  int written = n;
  if (EVP_DecryptFinal_ex(ctx.get(), out + written, &n) != 1) {
    // Unauthenticated output must not escape.
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return absl::InvalidArgumentError(std::string(kTagMismatch));
  }
  return plaintext;
}

}  // namespace switchboard::crypto
