// switchboard-config: checks, seals and opens config files.

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/crypto/open_config.h"
#include "common/crypto/sealed_config.h"
#include "common/flags.h"
#include "common/tool/check.h"
#include "common/tool/describe.h"
#include "common/tool/password_prompt.h"

namespace {

using namespace switchboard;

constexpr const char* kUsage = R"(usage: switchboard-config check FILE
       switchboard-config encrypt IN OUT
       switchboard-config decrypt IN

check FILE     validates FILE the way the data plane does and prints what it
               defines: models (type, upstream, keys), random weights, chains,
               which keys target which models (key values never), client
               endpoints. FILE is a config (YAML or JSON), FunTimeRouter's
               providers.json, or either of them sealed. Environment variables
               the keys name but this machine lacks are warnings.
               Exit status 0 valid, 1 invalid (the error names file, line, path).
encrypt IN OUT seals IN (checked first) into OUT: scrypt + AES-256-GCM, base64
               text (format: README.md, "Encrypted config").
decrypt IN     prints the plaintext of a sealed file to stdout.

options:
  --password-file F  read the password from F (one line)
  --scrypt-n N       encrypt: scrypt's N, a power of two 1024..1048576
                     (default 131072; r=8, p=1)
  --no-check         encrypt: seal IN even when it does not check
  --help             this text

The password comes from --password-file, else SWITCHBOARD_CONFIG_PASSWORD or
CONFIG_PASSWORD, else a prompt (no echo) when stdin is a terminal; encrypt
asks twice. It is never taken from the command line.
)";

struct Args {
  std::string command;
  std::vector<std::string> files;
  std::string password_file;
  uint64_t scrypt_n = crypto::ScryptParams{}.n;
  bool check = true;
};

int UsageError(const std::string& message) {
  std::fprintf(stderr, "switchboard-config: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "switchboard-config: %s\n", std::string(status.message()).c_str());
  return 1;
}

// Returns -1 to continue, or an exit code.
int ParseArgs(int argc, char** argv, Args& args) {
  switchboard::flags::Reader reader(argc, argv);
  while (reader.Next()) {
    const std::string& arg = reader.arg();
    auto next = [&](std::string& out) { return reader.Value(out); };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--password-file") {
      if (!next(args.password_file)) return UsageError("--password-file needs a file");
    } else if (arg == "--scrypt-n") {
      std::string n;
      if (!next(n)) return UsageError("--scrypt-n needs a number");
      char* end = nullptr;
      args.scrypt_n = std::strtoull(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0') return UsageError("--scrypt-n needs a number");
    } else if (arg == "--no-check") {
      args.check = false;
    } else if (arg == "--password" || arg == "-p") {
      return UsageError(arg + ": passwords are never taken from the command line (other users can see it); use "
                              "--password-file, SWITCHBOARD_CONFIG_PASSWORD or the prompt");
    } else if (arg.size() > 1 && arg[0] == '-') {
      return UsageError("unknown option '" + arg + "'");
    } else if (args.command.empty()) {
      args.command = arg;
    } else {
      args.files.push_back(arg);
    }
  }
  size_t want = 0;
  if (args.command == "check" || args.command == "decrypt") {
    want = 1;
  } else if (args.command == "encrypt") {
    want = 2;
  } else if (args.command.empty()) {
    return UsageError("no command");
  } else {
    return UsageError("unknown command '" + args.command + "'");
  }
  if (args.files.size() != want) {
    return UsageError(args.command + " takes " + (want == 1 ? std::string("one file") : std::string("IN and OUT")));
  }
  return -1;
}

crypto::PasswordFn PasswordSource(const Args& args, bool confirm) {
  return [&args, confirm] { return tool::GetPassword(args.password_file, confirm); };
}

int Check(const Args& args) {
  auto opened = crypto::OpenConfigFile(args.files[0], PasswordSource(args, false));
  if (!opened.ok()) return Fail(opened.status());
  auto checked = tool::CheckConfig(opened->loaded);
  if (!checked.ok()) return Fail(checked.status());
  std::string report = tool::DescribeConfig(*opened, *checked->snapshot, checked->warnings);
  std::fwrite(report.data(), 1, report.size(), stdout);
  return 0;
}

// Writes `text` to `path` through a temporary file and a rename, so that OUT
// is never half written.
absl::Status WriteAtomically(const std::string& path, const std::string& text) {
  std::string temp = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(temp.data());
  if (fd < 0) return absl::InternalError("cannot write '" + path + "': " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0644) == 0;
  size_t done = 0;
  while (ok && done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  int error = errno;
  ok = ::close(fd) == 0 && ok;
  if (ok && ::rename(temp.c_str(), path.c_str()) == 0) return absl::OkStatus();
  error = errno != 0 ? errno : error;
  ::unlink(temp.c_str());
  return absl::InternalError("cannot write '" + path + "': " + std::strerror(error));
}

int Encrypt(const Args& args) {
  const std::string& in = args.files[0];
  const std::string& out = args.files[1];
  crypto::ScryptParams params;
  params.n = args.scrypt_n;
  if (absl::Status bounds = crypto::CheckScryptParams(params); !bounds.ok()) return UsageError(std::string(bounds.message()));
  auto text = config::ReadConfigFile(in);
  if (!text.ok()) return Fail(text.status());
  if (crypto::LooksSealed(*text)) return Fail(absl::InvalidArgumentError(in + " is sealed already"));
  if (args.check) {
    auto loaded = config::ParseConfigText(*text, in);
    absl::Status status = loaded.status();
    if (loaded.ok()) {
      auto checked = tool::CheckConfig(*loaded);
      status = checked.status();
      if (checked.ok()) {
        for (const auto& warning : checked->warnings) std::fprintf(stderr, "warning: %s\n", warning.c_str());
      }
    }
    if (!status.ok()) {
      std::fprintf(stderr, "switchboard-config: %s\n(not sealed; --no-check seals it anyway)\n",
                   std::string(status.message()).c_str());
      OPENSSL_cleanse(text->data(), text->size());
      return 1;
    }
  }
  auto password = tool::GetPassword(args.password_file, /*confirm=*/true);
  if (!password.ok()) {
    OPENSSL_cleanse(text->data(), text->size());
    return Fail(password.status());
  }
  if (password->size() < 12) {
    std::fprintf(stderr,
                 "warning: the password has only %zu characters; whoever gets the sealed file can try passwords "
                 "offline, so a long one (a few random words) is much safer\n",
                 password->size());
  }
  auto sealed = crypto::Seal(*text, *password, params);
  OPENSSL_cleanse(password->data(), password->size());
  OPENSSL_cleanse(text->data(), text->size());
  if (!sealed.ok()) return Fail(sealed.status());
  if (absl::Status written = WriteAtomically(out, *sealed); !written.ok()) return Fail(written);
  std::fprintf(stderr, "sealed %s -> %s (scrypt N=%llu r=%llu p=%llu)\n", in.c_str(), out.c_str(),
               static_cast<unsigned long long>(params.n), static_cast<unsigned long long>(params.r),
               static_cast<unsigned long long>(params.p));
  return 0;
}

int Decrypt(const Args& args) {
  auto text = config::ReadConfigFile(args.files[0]);
  if (!text.ok()) return Fail(text.status());
  auto plaintext = crypto::OpenSealedText(*text, args.files[0], PasswordSource(args, false));
  if (!plaintext.ok()) return Fail(plaintext.status());
  size_t written = std::fwrite(plaintext->data(), 1, plaintext->size(), stdout);
  OPENSSL_cleanse(plaintext->data(), plaintext->size());
  if (written != plaintext->size() || std::fflush(stdout) != 0) {
    return Fail(absl::InternalError("cannot write to stdout"));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (int code = ParseArgs(argc, argv, args); code >= 0) return code;
  if (args.command == "check") return Check(args);
  if (args.command == "encrypt") return Encrypt(args);
  return Decrypt(args);
}
