#pragma once
// "Did you mean" suggestions for config error messages. Pure; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::config {

// The candidate closest to `name`: equal when compared case-insensitively and
// ignoring '_' and '-' ("model_name", "modelname" -> "modelName"), or else within
// a small edit distance (2, or a third of the name for long names). nullopt when
// nothing is close. Ties go to the first candidate.
std::optional<std::string> ClosestName(std::string_view name, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" when a candidate is close, else "".
std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates);

// "a, b, c" — for "expected one of" messages.
std::string JoinNames(const std::vector<std::string>& names);

}  // namespace switchboard::config
