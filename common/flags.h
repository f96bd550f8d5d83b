#pragma once
// The command-line walking the three executables share: options as `--name
// value` or `--name=value`, anything else as a positional argument, and
// --log-level's values.

#include <string>
#include <string_view>

namespace switchboard::flags {

class Reader {
 public:
  Reader(int argc, char** argv) : argc_(argc), argv_(argv) {}

  // Moves to the next argument; false after the last one.
  bool Next();
  // The current argument, without an inline "=value".
  const std::string& arg() const { return arg_; }
  // The current option's value: its inline "=value", else the next argument
  // (consumed). False when there is none.
  bool Value(std::string& out);

 private:
  int argc_;
  char** argv_;
  int i_ = 0;
  std::string arg_;
  std::string inline_value_;
  bool has_inline_ = false;
};

// Sets the log level from --log-level's value (debug, info, warn, error);
// false when the value is none of them.
bool SetLogLevel(std::string_view level);

}  // namespace switchboard::flags
