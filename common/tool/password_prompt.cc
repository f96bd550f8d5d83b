#include "common/tool/password_prompt.h"

#include <openssl/crypto.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "common/crypto/password.h"

namespace switchboard::tool {
namespace {

// The terminal's mode while echo is off, so that Ctrl-C can restore it.
termios g_saved_mode;

void RestoreAndDie(int signal) {
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_mode);
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

// One line from the terminal with echo off; the prompt goes to stderr.
absl::StatusOr<std::string> PromptOnce(const char* prompt) {
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  if (tcgetattr(STDIN_FILENO, &g_saved_mode) != 0) return absl::InternalError("cannot read the terminal's mode");
  termios quiet = g_saved_mode;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  auto old_int = std::signal(SIGINT, RestoreAndDie);
  auto old_term = std::signal(SIGTERM, RestoreAndDie);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::string line;
  bool ended = false;
  while (true) {
    char c;
    ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n <= 0) {
      ended = line.empty();
      break;
    }
    if (c == '\n') break;
    line += c;
  }
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_mode);
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  std::fputc('\n', stderr);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (ended) return absl::CancelledError("no password entered");
  return line;
}

}  // namespace

absl::StatusOr<std::string> GetPassword(const std::string& password_file, bool confirm) {
  if (!password_file.empty()) {
    auto password = crypto::ReadPasswordFile(password_file);
    if (!password.ok()) return password.status();
    return std::move(password->value);
  }
  if (auto password = crypto::PasswordFromEnvironment()) return std::move(password->value);
  if (!::isatty(STDIN_FILENO)) {
    return absl::FailedPreconditionError(
        "no password: set SWITCHBOARD_CONFIG_PASSWORD (or CONFIG_PASSWORD), use --password-file FILE, or run on a "
        "terminal to be asked");
  }
  auto first = PromptOnce("Password: ");
  if (!first.ok()) return first.status();
  if (first->empty()) return absl::InvalidArgumentError("the password is empty");
  if (confirm) {
    auto second = PromptOnce("Password again: ");
    bool same = second.ok() && *second == *first;
    if (second.ok()) OPENSSL_cleanse(second->data(), second->size());
    if (!same) {
      OPENSSL_cleanse(first->data(), first->size());
      return absl::InvalidArgumentError("the two passwords differ");
    }
  }
  return first;
}

}  // namespace switchboard::tool
