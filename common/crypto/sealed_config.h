#pragma once
// Sealed (encrypted) config files: any config text (YAML, JSON, providers.json)
// encrypted with a password, as base64 text that can live in a Gist.
//
// The format (version 1), line by line; lines end in "\n" (a reader also takes
// "\r\n" and ignores trailing spaces):
//
//   switchboard-sealed-config v1
//   kdf: scrypt N=131072 r=8 p=1
//   salt: <base64 of 16 random bytes>
//   nonce: <base64 of 12 random bytes>
//   ciphertext:
//   <base64 of AES-256-GCM ciphertext followed by its 16-byte tag, in lines of
//    at most 76 characters; whitespace between them is ignored>
//
// Base64 is the standard alphabet with '=' padding (RFC 4648 section 4).
// key = scrypt(password as UTF-8 bytes, salt, N, r, p, 32 bytes) (RFC 7914).
// AES-256-GCM with that key and the nonce; the additional authenticated data is
// the first four lines exactly as written above, each ending in "\n" (numbers
// in decimal without leading zeros, base64 padded) — so the version and the
// scrypt parameters cannot be changed without the tag failing.
//
// A reader refuses parameters that would cost too much (see kScrypt* below)
// before it derives anything, so a hostile file cannot make it allocate
// gigabytes. Pure functions (Seal draws randomness from OpenSSL's RAND_bytes);
// thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace switchboard::crypto {

inline constexpr std::string_view kSealedMagic = "switchboard-sealed-config";
inline constexpr std::string_view kSealedVersion = "v1";

struct ScryptParams {
  // The defaults: OWASP's scrypt recommendation (128 MiB, ~0.3 s on one core).
  uint64_t n = uint64_t{1} << 17;
  uint64_t r = 8;
  uint64_t p = 1;
};

// What a reader accepts: N a power of two in [2^10, 2^20], r in [1, 32],
// p in [1, 16], memory 128*N*r at most 256 MiB, work N*r*p at most 2^24.
inline constexpr uint64_t kScryptMinN = uint64_t{1} << 10;
inline constexpr uint64_t kScryptMaxN = uint64_t{1} << 20;
inline constexpr uint64_t kScryptMaxR = 32;
inline constexpr uint64_t kScryptMaxP = 16;
inline constexpr uint64_t kScryptMaxMemoryBytes = uint64_t{256} << 20;
inline constexpr uint64_t kScryptMaxWork = uint64_t{1} << 24;

// Plaintext larger than this is refused (configs are limited to 16 MiB too).
inline constexpr size_t kMaxSealedPlaintextBytes = size_t{16} << 20;

// The message of the error Open returns when authentication fails.
inline constexpr std::string_view kTagMismatch = "wrong password or the file was altered (GCM tag mismatch)";

// InvalidArgumentError when `params` are outside the bounds above.
absl::Status CheckScryptParams(const ScryptParams& params);

// True when `text` starts with the sealed-config magic (whatever the version):
// such text must be opened, never parsed as a config.
bool LooksSealed(std::string_view text);

// The header of a sealed file, read without the password.
struct SealedHeader {
  ScryptParams scrypt;
  std::string salt;   // 16 bytes
  std::string nonce;  // 12 bytes
};

// Parses the header; errors (InvalidArgumentError) name the line:
//   "line 2: kdf: expected 'scrypt N=<n> r=<r> p=<p>'"
//   "line 1: unsupported sealed config version 'v2' (this build reads v1)"
absl::StatusOr<SealedHeader> ReadSealedHeader(std::string_view text);

// Encrypts `plaintext` with a key derived from `password` (non-empty) and a
// fresh random salt and nonce.
absl::StatusOr<std::string> Seal(std::string_view plaintext, std::string_view password,
                                 const ScryptParams& params = {});

// Decrypts a sealed file. A wrong password and a file altered anywhere give
// the same InvalidArgumentError, kTagMismatch (GCM cannot tell them apart);
// malformed files give an error naming the line. The caller should erase the
// returned plaintext (OPENSSL_cleanse) when done with it.
absl::StatusOr<std::string> Open(std::string_view sealed, std::string_view password);

}  // namespace switchboard::crypto
