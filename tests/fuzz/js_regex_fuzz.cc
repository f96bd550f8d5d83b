// Fuzz target: a regex processor's pattern, flags, replacement and text,
// replaced with JsRegex's shortcuts (the literal search, the text between
// delimiters, the first-byte tries) and with RE2 alone.
//
// Input: a flags byte (bits: g, i, m, s, u), a replacement byte (one of a few
// replacements that use every kind of piece), a pattern length byte (mod 48),
// the pattern, then the text.
//
// What must hold: nothing crashes; the pattern compiles either both ways or
// neither; both ways give the same text and say the same about whether
// anything matched. The one difference allowed is documented in js_regex.h: a
// folded literal (i without u) matches ASCII letters only, where RE2 also
// folds the Kelvin sign onto k and the long s onto s; texts with either are not
// compared for such a literal.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dataplane/processors/js_regex.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using switchboard::processors::JsRegex;
using switchboard::processors::JsRegexFlags;

constexpr std::string_view kReplacements[] = {"<$&>", "[$1]", "$`|$'", "", "$<name>$2$$", "x"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  switchboard::fuzz::Input input(switchboard::fuzz::AsText(data, size));
  const uint8_t flag_bits = input.Byte();
  JsRegexFlags flags;
  flags.global = flag_bits & 1;
  flags.ignore_case = flag_bits & 2;
  flags.multiline = flag_bits & 4;
  flags.dot_all = flag_bits & 8;
  flags.unicode = flag_bits & 16;
  const std::string_view replacement = kReplacements[input.Byte() % std::size(kReplacements)];
  const size_t pattern_size = input.Byte() % 48;
  std::string_view rest = input.Rest();
  const std::string_view pattern = rest.substr(0, pattern_size);
  const std::string text(rest.substr(pattern.size()));

  auto fast = JsRegex::Compile(pattern, flags, replacement, /*shortcuts=*/true);
  auto plain = JsRegex::Compile(pattern, flags, replacement, /*shortcuts=*/false);
  if (fast.ok() != plain.ok()) switchboard::fuzz::Fail("the pattern compiles one way only");
  if (!fast.ok()) return 0;
  if ((*fast)->literal() && flags.ignore_case && !flags.unicode &&
      (text.find("\xe2\x84\xaa") != std::string::npos || text.find("\xc5\xbf") != std::string::npos)) {
    return 0;
  }
  std::string by_fast = text;
  std::string by_plain = text;
  const bool fast_changed = (*fast)->Replace(by_fast);
  const bool plain_changed = (*plain)->Replace(by_plain);
  if (by_fast != by_plain) switchboard::fuzz::Fail("the shortcuts and RE2 alone give different texts");
  if (fast_changed != plain_changed) switchboard::fuzz::Fail("the shortcuts and RE2 alone disagree on a match");
  return 0;
}
