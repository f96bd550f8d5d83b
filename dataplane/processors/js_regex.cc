#include "dataplane/processors/js_regex.h"

#include <algorithm>
#include <array>

#include "absl/status/status.h"

namespace switchboard::processors {
namespace {

// JavaScript replacements reach $99 at most, so at most 100 submatches.
constexpr int kMaxSubmatches = 100;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Length of the UTF-8 sequence that starts with `lead` (1 for a stray byte).
size_t Utf8SequenceLength(unsigned char lead) {
  if (lead >= 0xF0 && lead <= 0xF7) return 4;
  if (lead >= 0xE0) return lead <= 0xEF ? 3 : 1;
  if (lead >= 0xC0) return 2;
  return 1;
}

absl::Status FlagError(char flag, std::string_view message) {
  std::string text = "flag '";
  text += flag;
  text += "' ";
  text += message;
  return absl::InvalidArgumentError(text);
}

}  // namespace

absl::StatusOr<JsRegexFlags> ParseJsRegexFlags(std::string_view flags) {
  JsRegexFlags parsed;
  std::string seen;
  for (char flag : flags) {
    if (seen.find(flag) != std::string::npos) return FlagError(flag, "is given twice");
    seen += flag;
    switch (flag) {
      case 'g': parsed.global = true; break;
      case 'i': parsed.ignore_case = true; break;
      case 'm': parsed.multiline = true; break;
      case 's': parsed.dot_all = true; break;
      case 'u': break;  // text is always matched as UTF-8 code points
      case 'y': return FlagError(flag, "(sticky) is not supported");
      default: return FlagError(flag, "is not a known regex flag (accepted: g, i, m, s, u)");
    }
  }
  return parsed;
}

std::string TranslateJsPattern(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 8);
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {  // an escape: copy it whole, it is never syntax
      out += c;
      if (i + 1 < pattern.size()) out += pattern[++i];
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      if (pattern.substr(i, 2) == "[]") {  // JavaScript: matches nothing
        out += "[^\\x00-\\x{10FFFF}]";
        i += 1;
      } else if (pattern.substr(i, 3) == "[^]") {  // JavaScript: any character
        out += "(?s:.)";
        i += 2;
      } else {
        in_class = true;
        out += c;
      }
      continue;
    }
    if (c == '(' && pattern.substr(i, 3) == "(?<" && i + 3 < pattern.size() &&
        pattern[i + 3] != '=' && pattern[i + 3] != '!') {
      out += "(?P<";
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

absl::StatusOr<std::unique_ptr<const JsRegex>> JsRegex::Compile(std::string_view pattern,
                                                                const JsRegexFlags& flags,
                                                                std::string_view replacement) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(!flags.ignore_case);
  options.set_dot_nl(flags.dot_all);
  std::string translated = TranslateJsPattern(pattern);
  // Outside POSIX mode RE2 has no option for multi-line ^ and $, only the flag.
  if (flags.multiline) translated.insert(0, "(?m)");
  auto regex = std::make_unique<RE2>(translated, options);
  if (!regex->ok()) {
    return absl::InvalidArgumentError(
        "RE2 cannot take this pattern (regexes run in linear time: no back-references or "
        "look-around): " + regex->error());
  }
  std::vector<Piece> pieces = ParseReplacement(replacement, *regex);
  int submatches = 1;
  for (const Piece& piece : pieces) {
    if (piece.kind == Piece::Kind::kGroup) submatches = std::max(submatches, piece.group + 1);
  }
  return std::unique_ptr<const JsRegex>(
      new JsRegex(std::move(regex), flags.global, std::move(pieces), submatches));
}

std::vector<JsRegex::Piece> JsRegex::ParseReplacement(std::string_view replacement,
                                                      const RE2& regex) {
  const int group_count = regex.NumberOfCapturingGroups();
  const std::map<std::string, int>& named_groups = regex.NamedCapturingGroups();
  std::vector<Piece> pieces;
  std::string literal;
  auto add = [&](Piece::Kind kind, int group) {
    if (!literal.empty()) pieces.push_back({Piece::Kind::kLiteral, std::move(literal), 0});
    literal.clear();
    pieces.push_back({kind, {}, group});
  };
  const size_t size = replacement.size();
  for (size_t i = 0; i < size; ++i) {
    const char c = replacement[i];
    if (c != '$' || i + 1 == size) {
      literal += c;
      continue;
    }
    const char next = replacement[i + 1];
    if (next == '$') {
      literal += '$';
      ++i;
    } else if (next == '&') {
      add(Piece::Kind::kGroup, 0);
      ++i;
    } else if (next == '`') {
      add(Piece::Kind::kBefore, 0);
      ++i;
    } else if (next == '\'') {
      add(Piece::Kind::kAfter, 0);
      ++i;
    } else if (IsDigit(next)) {
      const int first = next - '0';
      if (i + 2 < size && IsDigit(replacement[i + 2])) {
        const int both = first * 10 + (replacement[i + 2] - '0');
        if (both >= 1 && both <= group_count) {
          add(Piece::Kind::kGroup, both);
          i += 2;
          continue;
        }
      }
      if (first >= 1 && first <= group_count) {
        add(Piece::Kind::kGroup, first);
        ++i;
      } else {
        literal += '$';  // $0 or a group the pattern lacks: the digits follow as text
      }
    } else if (next == '<') {
      const size_t close = named_groups.empty() ? std::string_view::npos
                                                : replacement.find('>', i + 2);
      if (close == std::string_view::npos) {
        literal += '$';  // no named groups, or no '>': literal "$<"
        continue;
      }
      const std::string name(replacement.substr(i + 2, close - (i + 2)));
      auto group = named_groups.find(name);
      if (group != named_groups.end()) add(Piece::Kind::kGroup, group->second);
      // A name the pattern lacks gives empty text (JavaScript's rule).
      i = close;
    } else {
      literal += '$';
    }
  }
  if (!literal.empty()) pieces.push_back({Piece::Kind::kLiteral, std::move(literal), 0});
  return pieces;
}

void JsRegex::Expand(std::string_view subject, const re2::StringPiece* groups,
                     std::string& out) const {
  const size_t match_start = static_cast<size_t>(groups[0].data() - subject.data());
  const size_t match_end = match_start + groups[0].size();
  for (const Piece& piece : pieces_) {
    switch (piece.kind) {
      case Piece::Kind::kLiteral:
        out += piece.literal;
        break;
      case Piece::Kind::kGroup: {
        const re2::StringPiece& group = groups[piece.group];
        if (group.data() != nullptr) out.append(group.data(), group.size());
        break;
      }
      case Piece::Kind::kBefore:
        out.append(subject.data(), match_start);
        break;
      case Piece::Kind::kAfter:
        out.append(subject.data() + match_end, subject.size() - match_end);
        break;
    }
  }
}

bool JsRegex::Replace(std::string& text) const {
  std::array<re2::StringPiece, kMaxSubmatches> groups;
  const re2::StringPiece subject(text.data(), text.size());
  std::string out;
  bool matched = false;
  size_t copied = 0;  // text[0, copied) is already in `out`
  size_t position = 0;
  while (position <= text.size() &&
         regex_->Match(subject, position, text.size(), RE2::UNANCHORED, groups.data(),
                       submatches_)) {
    const size_t start = static_cast<size_t>(groups[0].data() - text.data());
    const size_t end = start + groups[0].size();
    if (!matched) {
      out.reserve(text.size() + text.size() / 8);
      matched = true;
    }
    out.append(text, copied, start - copied);
    Expand(text, groups.data(), out);
    copied = end;
    if (!global_) break;
    if (end > start) {
      position = end;
    } else if (end < text.size()) {  // empty match: step over one code point
      position = std::min(text.size(), end + Utf8SequenceLength(static_cast<unsigned char>(text[end])));
    } else {
      break;
    }
  }
  if (!matched) return false;
  out.append(text, copied, std::string::npos);
  text.swap(out);
  return true;
}

}  // namespace switchboard::processors
