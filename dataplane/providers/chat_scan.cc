#include "dataplane/providers/chat_scan.h"

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/json_write.h"
#include "dataplane/providers/quick_json.h"
#include "dataplane/providers/simdjson_parser.h"

namespace switchboard::providers {
namespace {

// Deeper nesting is left to simdjson; a chat body nests five or six levels
// (a tool call's arguments a few more).
constexpr size_t kMaxQuickDepth = 64;
// Larger bodies are left to simdjson (the quick pass reads a copy).
constexpr size_t kMaxQuickBytes = 8 << 20;
// A body with more top-level keys is left to simdjson: the quick pass checks
// each key against those before it. A chat body has about ten.
constexpr size_t kMaxQuickKeys = 32;
// UTF-8 (text in Cyrillic, Greek or CJK scripts; curly quotes and dashes)
// costs the quick pass about five times what ASCII costs (quick_json's UTF-8
// work: a run's bytes plus kUtf8RunCost), where simdjson checks it 16 bytes
// at a time: past a sixth of the body's bytes in such work, simdjson is the
// faster. The work is counted before the pass, in the whole body up to
// kCountWhole bytes, else in kSamples windows of kSampleBytes spread over it;
// the pass itself stops past a third, a bound for a body that is not as its
// samples. Both allow kWideFree more (a few accents in a short body).
constexpr size_t kWideShare = 6;
constexpr size_t kCountWhole = 16 << 10;
constexpr size_t kSamples = 8;
constexpr size_t kSampleBytes = 512;
constexpr size_t kWideFree = 256;
// An integer of more digits might be beyond 64 bits, which simdjson refuses.
constexpr size_t kMaxQuickIntegerDigits = 18;

// The top-level members the scan reads.
enum class Member { kOther, kModel, kMessages, kStream, kStreamOptions };

Member TopLevelMember(std::string_view key) {
  if (key == "model") return Member::kModel;
  if (key == "messages") return Member::kMessages;
  if (key == "stream") return Member::kStream;
  if (key == "stream_options") return Member::kStreamOptions;
  return Member::kOther;
}

// The bits set in each byte value (std::popcount is a library call on
// x86-64's baseline).
constexpr auto kBitCounts = [] {
  std::array<uint8_t, 256> counts{};
  for (size_t i = 1; i < counts.size(); ++i) counts[i] = static_cast<uint8_t>((i & 1) + counts[i / 2]);
  return counts;
}();

size_t CountBits16(uint32_t x) { return kBitCounts[x & 0xFF] + kBitCounts[x >> 8 & 0xFF]; }

// Adds quick_json's UTF-8 work in p[0, n) to `work` (the bytes >= 0x80, and
// kUtf8RunCost for each run of them), 16 bytes at a time with one test for 16
// bytes of ASCII; false as soon as `work` is over `limit`.
bool AddUtf8Work(const char* p, size_t n, size_t limit, size_t& work) {
  size_t i = 0;
  uint32_t before = 0;  // 1 when the byte before p[i] is >= 0x80
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    // Bit k: byte k is >= 0x80.
    const auto high =
        static_cast<uint32_t>(_mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))));
    if (high == 0) {
      before = 0;
      continue;
    }
    const uint32_t starts = high & ~(high << 1 | before);  // a high byte after one that is not
    work += CountBits16(high) + CountBits16(starts) * static_cast<size_t>(quick_json::kUtf8RunCost);
    if (work > limit) return false;
    before = high >> 15;
  }
#endif
  for (; i < n; ++i) {
    const uint32_t high = static_cast<unsigned char>(p[i]) >> 7;
    work += high + (high & ~before) * static_cast<size_t>(quick_json::kUtf8RunCost);
    before = high;
  }
  return work <= limit;
}

// Whether the quick pass is likely the faster on `text`.
bool LooksMostlyAscii(std::string_view text) {
  size_t work = 0;
  if (text.size() <= kCountWhole) {
    return AddUtf8Work(text.data(), text.size(), text.size() / kWideShare + kWideFree, work);
  }
  const size_t limit = kSamples * kSampleBytes / kWideShare + kWideFree;
  for (size_t i = 0; i < kSamples; ++i) {
    const size_t at = (text.size() - kSampleBytes) * i / (kSamples - 1);
    if (!AddUtf8Work(text.data() + at, kSampleBytes, limit, work)) return false;
  }
  return true;
}

// What the body check reads, as quick_json::Walk meets it.
class BodyReader {
 public:
  explicit BodyReader(const char* base) : base_(base) {}

  bool Value(size_t depth, const char* p) {
    if (depth != 1) return true;  // (the text is an object: checked before the walk)
    // A top-level value the router reads: its type is checked here.
    switch (member_) {
      case Member::kModel: return *p == '"';
      case Member::kMessages:
        has_messages_ = true;
        return *p == '[';
      case Member::kStream:
        stream_ = *p == 't';
        return *p == 't' || *p == 'f' || *p == 'n';
      case Member::kStreamOptions:  // refused at its key
      case Member::kOther: return true;
    }
    return true;
  }

  bool Key(size_t depth, std::string_view name, bool escaped) {
    if (depth != 1) return true;
    // An escaped key might spell a member read here, or repeat another.
    if (escaped) return false;
    for (size_t i = 0; i < key_count_; ++i) {
      if (keys_[i] == name) return false;  // which one counts is the tree's call
    }
    if (key_count_ == kMaxQuickKeys) return false;
    keys_[key_count_++] = name;
    member_ = TopLevelMember(name);
    return member_ != Member::kStreamOptions;
  }

  bool String(size_t depth, std::string_view text, bool escaped) {
    if (depth != 1 || member_ != Member::kModel) return true;
    // An escaped model name is left to simdjson to unescape.
    if (escaped || text.empty()) return false;
    model_ = text;
    return true;
  }

  bool Number(size_t, std::string_view text, bool integer) {
    return !integer || text.size() - (text[0] == '-') <= kMaxQuickIntegerDigits;
  }

  void Closed(size_t, const char*) {}

  // After the walk accepted the text (an object: checked before it): whether
  // it has what a body needs, and what the scan reports of it.
  bool Complete() const { return !model_.empty() && has_messages_; }
  std::string_view model() const { return model_; }
  size_t model_begin() const { return static_cast<size_t>(model_.data() - 1 - base_); }  // its quotes included
  bool stream() const { return stream_; }

 private:
  const char* base_;  // the text's copy
  std::string_view keys_[kMaxQuickKeys];  // the top-level keys so far
  size_t key_count_ = 0;
  Member member_ = Member::kOther;  // the top-level member whose value is read
  std::string_view model_;          // the model's text, once read
  bool has_messages_ = false, stream_ = false;
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Walks the members of the top-level object of a text simdjson has already
// validated, so it only needs to find where things are, not to check them.
class TopLevel {
 public:
  explicit TopLevel(std::string_view text) : s_(text) {}

  void SkipSpace() {
    while (i_ < s_.size() && IsSpace(s_[i_])) ++i_;
  }

  // At a '"': moves past the closing quote. Runs of string text are skipped
  // with memchr (conversations are mostly string).
  void SkipString() {
    ++i_;
    for (;;) {
      const void* quote = std::memchr(s_.data() + i_, '"', s_.size() - i_);
      if (quote == nullptr) {
        i_ = s_.size();
        return;
      }
      size_t at = static_cast<size_t>(static_cast<const char*>(quote) - s_.data());
      size_t backslashes = 0;
      while (at - backslashes > i_ && s_[at - backslashes - 1] == '\\') ++backslashes;
      i_ = at + 1;
      if (backslashes % 2 == 0) return;  // not escaped
    }
  }

  // At the start of a value: moves past it.
  void SkipValue() {
    char c = s_[i_];
    if (c == '"') {
      SkipString();
      return;
    }
    if (c == '{' || c == '[') {
      size_t depth = 0;
      while (i_ < s_.size()) {
        char d = s_[i_];
        if (d == '"') {
          SkipString();
          continue;
        }
        if (d == '{' || d == '[') ++depth;
        if (d == '}' || d == ']') {
          --depth;
          if (depth == 0) {
            ++i_;
            return;
          }
        }
        ++i_;
      }
      return;
    }
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && !IsSpace(s_[i_])) ++i_;
  }

  size_t pos() const { return i_; }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void advance() { ++i_; }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

bool QuickScanChatBody(std::string_view text, ChatBodyScan& scan) {
  if (text.size() > kMaxQuickBytes || !LooksMostlyAscii(text)) return false;
  std::string own;
  const char* const base = quick_json::PaddedCopy(text, own);
  ptrdiff_t wide = static_cast<ptrdiff_t>(text.size() / (kWideShare / 2) + kWideFree);
  if (*quick_json::SkipSpace(base) != '{') return false;
  BodyReader reader(base);
  if (!quick_json::Walk<kMaxQuickDepth>(base, base + text.size(), wide, reader) || !reader.Complete()) return false;
  scan.model = std::string(reader.model());
  scan.stream = reader.stream();
  scan.model_begin = reader.model_begin();
  scan.model_end = scan.model_begin + scan.model.size() + 2;
  // The object's closing brace: its last byte but space.
  scan.close = text.size() - 1;
  while (IsSpace(text[scan.close])) --scan.close;
  scan.kept_use = 0;
  return true;
}

bool ScanChatBody(std::string_view text, ChatBodyScan& scan, bool quick_first) {
  return (quick_first && QuickScanChatBody(text, scan)) || DocumentScanChatBody(text, scan);
}

bool DocumentScanChatBody(std::string_view text, ChatBodyScan& scan) {
  // 1. Valid JSON, and the members the router reads, as a tree would see them.
  std::optional<simdjson::dom::parser> own;
  simdjson::dom::element root;
  if (!ReadDocument(text, 0, own, root)) return false;
  if (!root.is_object()) return false;
  scan = ChatBodyScan();
  if (!own) scan.kept_use = KeptParserUse();
  bool has_model = false, has_messages = false;
  std::vector<std::string_view> keys;
  keys.reserve(16);  // a chat body has about ten top-level keys: one allocation
  for (simdjson::dom::key_value_pair field : simdjson::dom::object(root)) {
    for (std::string_view seen : keys) {
      if (seen == field.key) return false;  // a repeated key: which one counts is the tree's call
    }
    keys.push_back(field.key);
    if (field.key == "model") {
      std::string_view model;
      if (field.value.get(model) != simdjson::SUCCESS || model.empty()) return false;
      scan.model = std::string(model);
      has_model = true;
    } else if (field.key == "messages") {
      if (!field.value.is_array()) return false;
      has_messages = true;
    } else if (field.key == "stream") {
      bool stream = false;
      if (field.value.get(stream) == simdjson::SUCCESS) {
        scan.stream = stream;
      } else if (!field.value.is_null()) {
        return false;
      }
    } else if (field.key == "stream_options") {
      return false;
    }
  }
  if (!has_model || !has_messages) return false;

  // 2. Where the model value and the closing brace are in the text. The text
  // is one valid object, so its closing brace is its last non-space
  // character; the members are walked only as far as "model" (usually
  // first), whose key is unique (checked above).
  size_t close = text.size();
  while (close > 0 && IsSpace(text[close - 1])) --close;
  if (close == 0 || text[close - 1] != '}') return false;
  scan.close = close - 1;
  TopLevel walk(text);
  walk.SkipSpace();
  if (walk.peek() != '{') return false;
  walk.advance();
  for (;;) {
    walk.SkipSpace();
    if (walk.peek() != '"') return false;  // '}': the end, and no "model" before it
    size_t key_begin = walk.pos() + 1;
    walk.SkipString();
    std::string_view key = text.substr(key_begin, walk.pos() - 1 - key_begin);
    if (key.find('\\') != std::string_view::npos) return false;  // an escaped key: leave it to the tree
    walk.SkipSpace();
    if (walk.peek() != ':') return false;
    walk.advance();
    walk.SkipSpace();
    size_t value_begin = walk.pos();
    walk.SkipValue();
    if (key == "model") {
      scan.model_begin = value_begin;
      scan.model_end = walk.pos();
      return scan.model_end > scan.model_begin && text[scan.model_begin] == '"';
    }
    walk.SkipSpace();
    if (walk.peek() != ',') return false;  // the closing brace, and no "model" before it
    walk.advance();
  }
}

std::string RewriteChatBody(std::string_view text, const ChatBodyScan& scan, std::string_view model,
                            bool add_stream_usage) {
  constexpr std::string_view kStreamUsage = ",\"stream_options\":{\"include_usage\":true}";
  std::string out;
  out.reserve(text.size() + model.size() + kStreamUsage.size() + 8);
  out.append(text.substr(0, scan.model_begin));
  AppendJsonStringReplacing(model, out);
  out.append(text.substr(scan.model_end, scan.close - scan.model_end));
  if (add_stream_usage) out.append(kStreamUsage);  // `model` is a member, so the object is not empty
  out.append(text.substr(scan.close));
  return out;
}

}  // namespace switchboard::providers
