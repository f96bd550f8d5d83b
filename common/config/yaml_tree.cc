#include "common/config/yaml_tree.h"

#include <re2/re2.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace switchboard::config {
namespace {

constexpr int kMaxDepth = 64;
// Aliases share nodes in yaml-cpp but are copied here; this bounds the copies
// ("billion laughs": a few lines of anchors can stand for billions of nodes).
constexpr int kMaxNodes = 1'000'000;
constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";
constexpr std::string_view kCoreTagPrefix = "tag:yaml.org,2002:";

bool IsOneOf(std::string_view s, std::initializer_list<std::string_view> options) {
  for (auto o : options) {
    if (s == o) return true;
  }
  return false;
}

std::optional<Json> ParseInteger(std::string_view digits, int base, bool negative) {
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (!negative) {
    if (magnitude <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Json(static_cast<int64_t>(magnitude));
    }
    return Json(magnitude);
  }
  if (magnitude <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) {
    return Json(static_cast<int64_t>(0 - magnitude));
  }
  return std::nullopt;
}

// A plain (unquoted) scalar under the YAML 1.2 core schema.
Json ResolvePlain(const std::string& s) {
  if (IsOneOf(s, {"", "~", "null", "Null", "NULL"})) return Json(nullptr);
  if (IsOneOf(s, {"true", "True", "TRUE"})) return Json(true);
  if (IsOneOf(s, {"false", "False", "FALSE"})) return Json(false);
  static const RE2 kDecimal("[-+]?[0-9]+");
  static const RE2 kOctal("0o[0-7]+");
  static const RE2 kHex("0x[0-9a-fA-F]+");
  static const RE2 kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  static const RE2 kInf(R"([-+]?\.(inf|Inf|INF))");
  static const RE2 kNan(R"(\.(nan|NaN|NAN))");
  std::string_view v(s);
  if (RE2::FullMatch(s, kDecimal)) {
    bool negative = v.front() == '-';
    if (v.front() == '-' || v.front() == '+') v.remove_prefix(1);
    if (auto n = ParseInteger(v, 10, negative)) return *n;
    // Too large for 64 bits: fall through to a float.
  }
  if (RE2::FullMatch(s, kOctal)) {
    if (auto n = ParseInteger(v.substr(2), 8, false)) return *n;
  }
  if (RE2::FullMatch(s, kHex)) {
    if (auto n = ParseInteger(v.substr(2), 16, false)) return *n;
  }
  if (RE2::FullMatch(s, kFloat)) {
    if (v.front() == '+') v.remove_prefix(1);
    double d = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
    if (ec == std::errc::result_out_of_range) {
      d = v.front() == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    }
    return Json(d);
  }
  if (RE2::FullMatch(s, kInf)) {
    return Json(s.front() == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity());
  }
  if (RE2::FullMatch(s, kNan)) return Json(std::numeric_limits<double>::quiet_NaN());
  return Json(s);
}

std::string ChildPath(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

int LineOf(const YAML::Node& node) { return node.Mark().line + 1; }

class Converter {
 public:
  explicit Converter(std::string_view source_name) : source_name_(source_name) {}

  absl::StatusOr<Json> Convert(const YAML::Node& node, const std::string& path, int depth) {
    if (depth > kMaxDepth) return Error(node, path, "nested more than " + std::to_string(kMaxDepth) + " levels deep");
    if (++node_count_ > kMaxNodes) {
      return Error(node, path, "more than " + std::to_string(kMaxNodes) + " values (after expanding aliases)");
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return node.Tag() == kStrTag ? Json("") : Json(nullptr);
      case YAML::NodeType::Scalar:
        return ConvertScalar(node, path);
      case YAML::NodeType::Sequence: {
        Json list = Json::array();
        for (size_t i = 0; i < node.size(); ++i) {
          const YAML::Node item = node[i];
          std::string item_path = path + "[" + std::to_string(i) + "]";
          source_map_.emplace(item_path, LineOf(item));
          ASSIGN_OR_RETURN(Json value, Convert(item, item_path, depth + 1));
          list.push_back(std::move(value));
        }
        return list;
      }
      case YAML::NodeType::Map:
        return ConvertMap(node, path, depth);
    }
    return Error(node, path, "unsupported YAML node");
  }

  SourceMap TakeSourceMap() { return std::move(source_map_); }

 private:
  absl::Status Error(const YAML::Node& at, const std::string& path, const std::string& message) const {
    std::string text(source_name_);
    if (at.Mark().line >= 0) absl::StrAppend(&text, ":", LineOf(at));
    text += ": ";
    if (!path.empty()) text += path + ": ";
    return absl::InvalidArgumentError(text + message);
  }

  absl::StatusOr<Json> ConvertScalar(const YAML::Node& node, const std::string& path) {
    const std::string& tag = node.Tag();
    if (tag == "!" || tag == kStrTag) return Json(node.Scalar());
    if (tag == "?" || tag.empty() || tag.rfind(kCoreTagPrefix, 0) == 0) return ResolvePlain(node.Scalar());
    return Error(node, path, "unsupported YAML tag '" + tag + "'");
  }

  absl::StatusOr<Json> ConvertMap(const YAML::Node& node, const std::string& path, int depth) {
    Json object = Json::object();
    std::map<std::string, int> key_lines;
    std::vector<YAML::Node> merges;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      if (!key.IsScalar()) return Error(key, path, "mapping keys must be plain strings");
      const std::string& name = key.Scalar();
      if (name == "<<" && key.Tag() == "?") {
        merges.push_back(value);
        continue;
      }
      std::string child = ChildPath(path, name);
      auto [seen, inserted] = key_lines.emplace(name, LineOf(key));
      if (!inserted) {
        return Error(key, child, "duplicate key '" + name + "' (first at line " + std::to_string(seen->second) + ")");
      }
      source_map_.emplace(child, LineOf(key));
      ASSIGN_OR_RETURN(Json converted, Convert(value, child, depth + 1));
      object[name] = std::move(converted);
    }
    // Merge keys: `<<: *a` or `<<: [*a, *b]`; earlier sources and explicit keys win.
    for (const YAML::Node& merge : merges) {
      std::vector<YAML::Node> sources;
      if (merge.IsMap()) {
        sources.push_back(merge);
      } else if (merge.IsSequence()) {
        for (size_t i = 0; i < merge.size(); ++i) sources.push_back(merge[i]);
      } else {
        return Error(merge, path, "a merge key '<<' needs a mapping or a list of mappings");
      }
      for (const YAML::Node& source : sources) {
        if (!source.IsMap()) return Error(merge, path, "a merge key '<<' needs a mapping or a list of mappings");
        ASSIGN_OR_RETURN(Json merged, ConvertMap(source, path, depth + 1));
        for (auto& [name, value] : merged.items()) {
          if (!object.contains(name)) object[name] = value;
        }
      }
    }
    return object;
  }

  std::string_view source_name_;
  SourceMap source_map_;
  int node_count_ = 0;
};

// Counts the documents of a stream, up to two. YAML::LoadAll cannot be used:
// yaml-cpp 0.7 (Debian 12) never ends on some malformed input such as "[],"
// (it yields empty documents forever, allocating as it goes; fixed upstream
// later), so the number of documents asked for here is bounded.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++count_ == 2) second_line_ = mark.line + 1;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  int count() const { return count_; }
  int second_line() const { return second_line_; }

 private:
  int count_ = 0;
  int second_line_ = 0;
};

}  // namespace

absl::StatusOr<YamlTree> YamlToTree(std::string_view text, std::string_view source_name) {
  try {
    const std::string input(text);
    std::istringstream stream(input);
    YAML::Parser parser(stream);
    DocumentCounter counter;
    while (counter.count() < 2 && parser.HandleNextDocument(counter)) {
    }
    YamlTree tree;
    if (counter.count() == 0) return tree;
    if (counter.count() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(std::string(source_name), ":", counter.second_line(),
                       ": expected one YAML document, found more (a '---' line, or text after the first document)"));
    }
    const YAML::Node document = YAML::Load(input);
    Converter converter(source_name);
    ASSIGN_OR_RETURN(tree.root, converter.Convert(document, "", 0));
    tree.source_map = converter.TakeSourceMap();
    return tree;
  } catch (const YAML::ParserException& e) {
    std::string where(source_name);
    if (e.mark.line >= 0) absl::StrAppend(&where, ":", e.mark.line + 1);
    return absl::InvalidArgumentError(where + ": YAML syntax error: " + e.msg);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(std::string(source_name) + ": YAML error: " + e.what());
  }
}

}  // namespace switchboard::config
