#include "dataplane/upstream/head_parser.h"

#include <algorithm>
#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dataplane/upstream/http_head.h"

namespace switchboard::upstream {
namespace {

// The bytes of a field name or a method: RFC 9110's tchar, as Beast's table
// has them.
constexpr std::array<bool, 256> kTokenChar = [] {
  std::array<bool, 256> token{};
  for (int c = '0'; c <= '9'; ++c) token[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) token[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) token[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) token[static_cast<unsigned char>(c)] = true;
  return token;
}();

bool IsToken(char c) { return kTokenChar[static_cast<unsigned char>(c)]; }

// The first byte from `p` that is a control byte other than HTAB, or DEL, or
// `end`: where a line ends (CR, then LF) or holds a byte Beast refuses. Bytes
// past 0x7F (obs-text) are allowed in values, reasons and targets, as Beast
// allows them.
const char* NextControl(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i max_control = _mm_set1_epi8(0x1F), tab = _mm_set1_epi8('\t'), del = _mm_set1_epi8(0x7F);
  for (; end - p >= 16; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, max_control), v);  // unsigned v <= 0x1F
    const __m128i stop = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, tab), control), _mm_cmpeq_epi8(v, del));
    if (const int mask = _mm_movemask_epi8(stop)) return p + __builtin_ctz(static_cast<unsigned>(mask));
  }
#endif
  for (; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return p;
  }
  return end;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The fields Beast's parser acts on (its do_field): they decide the framing
// and keep-alive, so they go to Beast. (Their lengths differ: one compare.)
bool IsFramingField(std::string_view name) {
  switch (name.size()) {
    case 14: return SameFieldName(name, "Content-Length");
    case 17: return SameFieldName(name, "Transfer-Encoding");
    case 10: return SameFieldName(name, "Connection");
    case 16: return SameFieldName(name, "Proxy-Connection");
    case 7: return SameFieldName(name, "Upgrade");
    default: return false;
  }
}

// Without leading and trailing SP and HTAB (optional whitespace).
std::string_view TrimOws(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

// "HTTP/1.1 200 OK" (the CRLF taken off), or the start of one when not
// `whole`: a version Beast takes, three digits, SP, then a reason (whose bytes
// NextControl checked: HTAB and obs-text are allowed).
[[gnu::always_inline]] inline bool StatusLineOk(std::string_view line, bool whole) {
  if (whole && line.size() < 13) return false;
  constexpr std::string_view kVersion = "HTTP/1.";
  for (size_t i = 0; i < line.size() && i < 13; ++i) {
    const char c = line[i];
    const bool ok = i < 7 ? c == kVersion[i] : i == 7 ? c == '0' || c == '1' : i == 8 || i == 12 ? c == ' ' : IsDigit(c);
    if (!ok) return false;
  }
  return true;
}

// "POST /v1/chat/completions HTTP/1.1" (the CRLF taken off), or the start of
// one when not `whole`: a method (tchar), SP, a target (any byte Beast takes
// in one: NextControl refused the control bytes and DEL, this SP and HTAB),
// SP, then HTTP/1.0 or HTTP/1.1, the only versions Beast serves.
[[gnu::always_inline]] inline bool RequestLineOk(std::string_view line, bool whole) {
  const size_t n = line.size();
  size_t i = 0;
  while (i < n && IsToken(line[i])) ++i;
  if (i == n) return !whole;  // the method still coming
  if (i == 0 || line[i] != ' ') return false;
  const size_t target = ++i;
  while (i < n && line[i] != ' ' && line[i] != '\t') ++i;
  if (i == n) return !whole;  // the target still coming
  if (i == target || line[i] != ' ') return false;
  const std::string_view version = line.substr(i + 1);
  constexpr std::string_view kVersion = "HTTP/1.";
  if (version.size() > 8 || (whole && version.size() != 8)) return false;
  for (size_t v = 0; v < version.size(); ++v) {
    if (v < 7 ? version[v] != kVersion[v] : version[v] != '0' && version[v] != '1') return false;
  }
  return true;
}

// "Name: value" (the CRLF taken off), or the start of one when not `whole`:
// the name's length, or 0 when the line is not one this reader takes. A line
// that starts with SP or HTAB continues the field before it (obs-fold, which
// Beast joins): not taken.
[[gnu::always_inline]] inline size_t FieldLineOk(std::string_view line, bool whole) {
  size_t colon = 0;
  while (colon < line.size() && IsToken(line[colon])) ++colon;
  if (!whole && colon == line.size()) return 1;  // the name is still coming (any length will do)
  return colon > 0 && colon < line.size() && line[colon] == ':' ? colon : 0;
}

}  // namespace

HeadLines::Reading HeadLines::Read(std::string_view bytes, uint32_t limit, KeptFields& fields, size_t& size) {
  // A head must end within half the limit: past that, Beast and its limit
  // decide.
  const char* const begin = bytes.data();
  const char* const end = begin + std::min<size_t>(bytes.size(), limit / 2);
  const char* p = begin + read_;
  for (;;) {
    const char* const stop = NextControl(p, end);
    if (stop == end || (*stop == '\r' && stop + 1 == end)) {
      if (end - begin == limit / 2) return Reading::kBeast;
      // The line the bytes end in: what there is of it must be what this
      // reader takes, so that Beast, given the same bytes, would want more
      // too (and not have refused them). Where a CR ends the bytes, the
      // line's text is all there (Beast refuses a name the CR ends), unless
      // it is the blank line's. Stricter is safe: Beast then reads the bytes
      // as they came. (The caller checks the framing fields read so far.)
      const bool text_whole = stop != end;
      const std::string_view rest(p, static_cast<size_t>(stop - p));
      const bool ok = !start_read_ ? (request_ ? RequestLineOk(rest, text_whole) : StatusLineOk(rest, text_whole))
                                   : (text_whole && rest.empty()) || FieldLineOk(rest, text_whole) != 0;
      return ok ? Reading::kNeedMore : Reading::kBeast;
    }
    // A line ends in CRLF, and holds no control byte but HTAB.
    if (*stop != '\r' || stop[1] != '\n') return Reading::kBeast;
    const std::string_view line(p, static_cast<size_t>(stop - p));
    p = stop + 2;
    if (!start_read_) {
      if (!(request_ ? RequestLineOk(line, true) : StatusLineOk(line, true))) return Reading::kBeast;
      start_read_ = true;
      framing_.assign(line.data(), line.size() + 2);
      start_line_size_ = framing_.size();
    } else if (line.empty()) {  // the blank line: the end of the head
      framing_ += "\r\n";
      size = static_cast<size_t>(p - begin);
      return Reading::kWhole;
    } else {
      const size_t name_size = FieldLineOk(line, true);
      if (name_size == 0) return Reading::kBeast;
      const std::string_view name = line.substr(0, name_size);
      if (IsFramingField(name)) {
        framing_.append(line.data(), line.size() + 2);
      } else {
        const std::string_view value = TrimOws(line.substr(name_size + 1));
        fields.AddAt(static_cast<uint32_t>(line.data() - begin), static_cast<uint32_t>(name_size),
                     static_cast<uint32_t>(value.data() - begin), static_cast<uint32_t>(value.size()));
      }
    }
    read_ = static_cast<size_t>(p - begin);
  }
}

std::string_view KeptFields::Find(std::string_view name) const {
  for (const Field& f : fields_) {
    if (SameFieldName(View(f.name_at, f.name_size), name)) return View(f.value_at, f.value_size);
  }
  return {};
}

void KeptFields::Add(std::string_view name, std::string_view value) {
  Field f{Append(name), static_cast<uint32_t>(name.size()), 0, static_cast<uint32_t>(value.size())};
  f.value_at = Append(value);
  fields_.push_back(f);
}

uint32_t KeptFields::Append(std::string_view text) {
  const auto at = static_cast<uint32_t>(text_.size());
  text_.append(text);
  return at;
}

}  // namespace switchboard::upstream
