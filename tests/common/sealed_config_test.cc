// Sealed configs: round trip, and every way a file can be wrong — wrong
// password, a byte changed anywhere (header, salt, nonce, ciphertext, tag),
// truncation, bad base64, unknown versions, absurd scrypt parameters.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/crypto/open_config.h"
#include "common/crypto/sealed_config.h"

namespace switchboard::crypto {
namespace {

// Cheap parameters so that the many Opens below stay fast.
constexpr ScryptParams kFast{1024, 8, 1};
constexpr std::string_view kPassword = "correct horse battery staple";
constexpr std::string_view kConfig = "modelProviders:\n  t: {type: trivial, output: \"sealed hello\"}\n";

std::string SealFast(std::string_view plaintext = kConfig) {
  auto sealed = Seal(plaintext, kPassword, kFast);
  EXPECT_TRUE(sealed.ok()) << sealed.status();
  return sealed.ok() ? *sealed : "";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

std::string Unbase64(const std::string& text) {
  std::string out;
  EXPECT_TRUE(absl::Base64Unescape(text, &out));
  return out;
}

std::string Base64(const std::string& bytes) { return absl::Base64Escape(bytes); }

// The ciphertext+tag bytes of a sealed text (lines 6 onwards).
std::string Body(const std::vector<std::string>& lines) {
  std::string b64;
  for (size_t i = 5; i < lines.size(); ++i) b64 += lines[i];
  return Unbase64(b64);
}

std::vector<std::string> WithBody(std::vector<std::string> lines, const std::string& body) {
  lines.resize(5);
  lines.push_back(Base64(body));
  return lines;
}

std::string OpenError(const std::string& sealed, std::string_view password = kPassword) {
  auto opened = Open(sealed, password);
  if (opened.ok()) return "";
  return std::string(opened.status().message());
}

TEST(SealedConfigTest, RoundTrip) {
  std::string sealed = SealFast();
  EXPECT_TRUE(LooksSealed(sealed));
  EXPECT_EQ(sealed.find("sealed hello"), std::string::npos);
  std::vector<std::string> lines = Lines(sealed);
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(lines[0], "switchboard-sealed-config v1");
  EXPECT_EQ(lines[1], "kdf: scrypt N=1024 r=8 p=1");
  EXPECT_EQ(Unbase64(lines[2].substr(6)).size(), 16u);
  EXPECT_EQ(Unbase64(lines[3].substr(7)).size(), 12u);
  EXPECT_EQ(lines[4], "ciphertext:");
  EXPECT_EQ(Body(lines).size(), kConfig.size() + 16);
  for (size_t i = 5; i < lines.size(); ++i) EXPECT_LE(lines[i].size(), 76u);

  auto opened = Open(sealed, kPassword);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, kConfig);
  // Fresh salt and nonce every time.
  EXPECT_NE(SealFast(), sealed);
}

TEST(SealedConfigTest, EmptyAndLargePlaintexts) {
  auto empty = Open(SealFast(""), kPassword);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, "");
  std::string big(200'000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7919);
  auto opened = Open(SealFast(big), kPassword);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, big);
}

TEST(SealedConfigTest, CrlfLineEndsAndTrailingSpacesAreAccepted) {
  std::string crlf;
  for (const auto& line : Lines(SealFast())) crlf += line + "  \r\n";
  auto opened = Open(crlf, kPassword);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, kConfig);
}

TEST(SealedConfigTest, DefaultParametersRoundTrip) {
  auto sealed = Seal(kConfig, kPassword);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(Lines(*sealed)[1], "kdf: scrypt N=131072 r=8 p=1");
  auto opened = Open(*sealed, kPassword);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, kConfig);
}

TEST(SealedConfigTest, WrongPassword) {
  std::string sealed = SealFast();
  EXPECT_EQ(OpenError(sealed, "correct horse battery stapl"), kTagMismatch);
  EXPECT_EQ(OpenError(sealed, "Correct horse battery staple"), kTagMismatch);
  EXPECT_EQ(OpenError(sealed, ""), "the password is empty");
  EXPECT_EQ(Seal(kConfig, "", kFast).status().message(), "the password is empty");
}

TEST(SealedConfigTest, EveryHeaderChangeFails) {
  const std::vector<std::string> lines = Lines(SealFast());
  // Parameters changed to other valid values: a different key, so the tag fails.
  for (const char* kdf : {"kdf: scrypt N=2048 r=8 p=1", "kdf: scrypt N=1024 r=9 p=1", "kdf: scrypt N=1024 r=8 p=2"}) {
    auto changed = lines;
    changed[1] = kdf;
    EXPECT_EQ(OpenError(Join(changed)), kTagMismatch) << kdf;
  }
  // Every single byte of the first two lines flipped: never opens.
  for (int line = 0; line < 2; ++line) {
    for (size_t i = 0; i < lines[line].size(); ++i) {
      auto changed = lines;
      changed[line][i] ^= 0x01;
      EXPECT_NE(OpenError(Join(changed)), "") << "line " << line + 1 << " byte " << i;
    }
  }
}

TEST(SealedConfigTest, EverySaltAndNonceByteFlippedFails) {
  const std::vector<std::string> lines = Lines(SealFast());
  struct Region {
    size_t line;
    std::string prefix;
  };
  for (const Region& region : {Region{2, "salt: "}, Region{3, "nonce: "}}) {
    std::string bytes = Unbase64(lines[region.line].substr(region.prefix.size()));
    for (size_t i = 0; i < bytes.size(); ++i) {
      auto changed = lines;
      std::string flipped = bytes;
      flipped[i] ^= 0x80;
      changed[region.line] = region.prefix + Base64(flipped);
      EXPECT_EQ(OpenError(Join(changed)), kTagMismatch) << region.prefix << "byte " << i;
    }
  }
}

TEST(SealedConfigTest, EveryCiphertextAndTagByteFlippedFails) {
  const std::vector<std::string> lines = Lines(SealFast());
  const std::string body = Body(lines);
  ASSERT_EQ(OpenError(Join(WithBody(lines, body))), "");  // re-encoding alone changes nothing
  for (size_t i = 0; i < body.size(); ++i) {
    std::string flipped = body;
    flipped[i] ^= 0x04;
    EXPECT_EQ(OpenError(Join(WithBody(lines, flipped))), kTagMismatch)
        << (i < body.size() - 16 ? "ciphertext" : "tag") << " byte " << i;
  }
}

TEST(SealedConfigTest, TruncatedFiles) {
  const std::string sealed = SealFast();
  const std::vector<std::string> lines = Lines(sealed);
  const std::string body = Body(lines);
  // Lost bytes at the end: the tag no longer checks (or the base64 breaks).
  EXPECT_EQ(OpenError(Join(WithBody(lines, body.substr(0, body.size() - 1)))), kTagMismatch);
  EXPECT_EQ(OpenError(Join(WithBody(lines, body.substr(0, 16)))), kTagMismatch);
  EXPECT_EQ(OpenError(Join(WithBody(lines, body.substr(0, 15)))),
            "ciphertext: shorter than the 16-byte tag (the file is truncated)");
  EXPECT_EQ(OpenError(sealed.substr(0, sealed.size() - 3)), "ciphertext: not valid base64");
  // Cut in the header.
  EXPECT_EQ(OpenError(Join({lines[0], lines[1], lines[2]})), "line 4: missing 'nonce:' (the file is truncated)");
  EXPECT_EQ(OpenError(Join({lines[0], lines[1], lines[2], lines[3]})),
            "line 5: missing 'ciphertext:' (the file is truncated)");
  EXPECT_EQ(OpenError(""), "line 1: not a sealed config (the first line must be 'switchboard-sealed-config v1')");
}

TEST(SealedConfigTest, BadBase64) {
  std::vector<std::string> lines = Lines(SealFast());
  auto salt = lines;
  salt[2] = "salt: not*base64*at*all=";
  EXPECT_EQ(OpenError(Join(salt)), "line 3: salt: not valid base64");
  auto short_salt = lines;
  short_salt[2] = "salt: " + Base64("0123456789");
  EXPECT_EQ(OpenError(Join(short_salt)), "line 3: salt: expected 16 bytes, got 10");
  auto nonce = lines;
  nonce[3] = "nonce: AAAA=AAA";
  EXPECT_EQ(OpenError(Join(nonce)), "line 4: nonce: not valid base64");
  auto body = lines;
  body[5][10] = '!';
  EXPECT_EQ(OpenError(Join(body)), "ciphertext: not valid base64");
}

TEST(SealedConfigTest, UnknownVersionAndMalformedHeader) {
  std::vector<std::string> lines = Lines(SealFast());
  auto v2 = lines;
  v2[0] = "switchboard-sealed-config v2";
  EXPECT_EQ(OpenError(Join(v2)), "line 1: unsupported sealed config version 'v2' (this build reads v1)");
  EXPECT_TRUE(LooksSealed(Join(v2)));
  auto kdf = lines;
  kdf[1] = "kdf: argon2id m=65536 t=3 p=4";
  EXPECT_EQ(OpenError(Join(kdf)), "line 2: kdf: expected 'scrypt N=<n> r=<r> p=<p>'");
  auto zeros = lines;
  zeros[1] = "kdf: scrypt N=01024 r=8 p=1";
  EXPECT_EQ(OpenError(Join(zeros)), "line 2: kdf: expected 'scrypt N=<n> r=<r> p=<p>'");
  auto swapped = lines;
  std::swap(swapped[2], swapped[3]);
  EXPECT_EQ(OpenError(Join(swapped)), "line 3: expected 'salt:'");
  auto junk = lines;
  junk[4] = "ciphertext: AAAA";
  EXPECT_EQ(OpenError(Join(junk)), "line 5: expected 'ciphertext:' alone on its line");
}

TEST(SealedConfigTest, AbsurdScryptParametersAreRefusedBeforeDeriving) {
  std::vector<std::string> lines = Lines(SealFast());
  struct Case {
    const char* kdf;
    const char* why;
  };
  for (const Case& c : {Case{"kdf: scrypt N=1073741824 r=8 p=1", "N must be a power of two from 2^10 to 2^20"},
                        Case{"kdf: scrypt N=1000 r=8 p=1", "N must be a power of two from 2^10 to 2^20"},
                        Case{"kdf: scrypt N=512 r=8 p=1", "N must be a power of two from 2^10 to 2^20"},
                        Case{"kdf: scrypt N=1048576 r=8 p=1", "they need more than 256 MiB"},
                        Case{"kdf: scrypt N=1024 r=64 p=1", "r must be 1 to 32"},
                        Case{"kdf: scrypt N=1024 r=8 p=0", "p must be 1 to 16"},
                        Case{"kdf: scrypt N=262144 r=8 p=16", "N*r*p is more than 2^24"},
                        Case{"kdf: scrypt N=18446744073709551616 r=8 p=1", nullptr}}) {
    auto changed = lines;
    changed[1] = c.kdf;
    std::string error = OpenError(Join(changed));
    if (c.why == nullptr) {
      EXPECT_EQ(error, "line 2: kdf: expected 'scrypt N=<n> r=<r> p=<p>'") << c.kdf;
    } else {
      EXPECT_NE(error.find(c.why), std::string::npos) << c.kdf << ": " << error;
      EXPECT_EQ(error.rfind("line 2: kdf: scrypt parameters", 0), 0u) << error;
    }
  }
  EXPECT_FALSE(Seal(kConfig, kPassword, ScryptParams{uint64_t{1} << 21, 8, 1}).ok());
}

TEST(OpenConfigTest, SealedAndPlainConfigsLoadTheSameWay) {
  PasswordFn password = [] { return absl::StatusOr<std::string>(std::string(kPassword)); };
  auto plain = OpenConfigText(kConfig, "c.yaml", nullptr);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->sealed);
  auto sealed = OpenConfigText(SealFast(), "c.enc", password);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_TRUE(sealed->sealed);
  EXPECT_EQ(sealed->scrypt.n, 1024u);
  EXPECT_EQ(sealed->loaded.config.model_providers().at("t").output(), "sealed hello");
}

TEST(OpenConfigTest, ErrorsNameTheSource) {
  PasswordFn wrong = [] { return absl::StatusOr<std::string>(std::string("nope")); };
  EXPECT_EQ(OpenConfigText(SealFast(), "https://example.com/p.enc", wrong).status().message(),
            "https://example.com/p.enc: wrong password or the file was altered (GCM tag mismatch)");
  PasswordFn none = [] { return absl::StatusOr<std::string>(absl::FailedPreconditionError("no password: set X")); };
  EXPECT_EQ(OpenConfigText(SealFast(), "p.enc", none).status().message(), "p.enc: no password: set X");
  std::vector<std::string> lines = Lines(SealFast());
  lines[2] = "salt: ???";
  EXPECT_EQ(OpenConfigText(Join(lines), "p.enc", wrong).status().message(), "p.enc:3: salt: not valid base64");
  // A sealed config whose plaintext is invalid: the error points into the plaintext.
  PasswordFn right = [] { return absl::StatusOr<std::string>(std::string(kPassword)); };
  EXPECT_EQ(OpenConfigText(SealFast("modelProviders:\n  t: {type: trivia}\n"), "p.enc", right).status().message(),
            "p.enc:2: modelProviders.t.type: unknown model provider type 'trivia' (did you mean 'trivial'?)");
}

}  // namespace
}  // namespace switchboard::crypto
