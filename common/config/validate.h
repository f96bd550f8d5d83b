#pragma once
// Validation of a Config, whatever its source (file, admin RPC, pushed snapshot).
// Pure; thread-safe.

#include <string_view>

#include "absl/status/status.h"
#include "switchboard/config/v1/config.pb.h"

namespace switchboard::config {

// The `type` values each section knows.
inline constexpr std::string_view kKeyProviderTypes[] = {"literal", "environment"};
inline constexpr std::string_view kModelProviderTypes[] = {"genericoai", "openrouter", "gemini", "random", "trivial"};
inline constexpr std::string_view kProcessorTypes[] = {"nodanglingsys", "nosys",  "overridesamplers", "regex", "random",
                                                       "noass",         "squash", "insertmessage",    "chain"};
// What a gemini model provider's `safetySettings` may name: Gemini's harm
// categories (in the order they are sent) and block thresholds.
inline constexpr std::string_view kGeminiHarmCategories[] = {
    "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT", "HARM_CATEGORY_CIVIC_INTEGRITY"};
inline constexpr std::string_view kGeminiHarmThresholds[] = {"OFF", "BLOCK_NONE", "BLOCK_ONLY_HIGH",
                                                             "BLOCK_MEDIUM_AND_ABOVE", "BLOCK_LOW_AND_ABOVE"};

// Checks, each failing with InvalidArgumentError "<path>: <what is wrong>":
//  - keyProviders.<k>.type is literal|environment; literal needs `key`,
//    environment needs `envVar`; modelTargets non-empty, each an RE2-valid regex
//    (error says RE2 could not take it and why).
//  - modelProviders.<m>.type is genericoai|openrouter|gemini|random|trivial;
//    genericoai/openrouter/gemini need modelName; url (when set) is http(s)://;
//    random needs modelList or modelWeights (non-empty), every member exists,
//    weights finite and > 0, no cycle between random providers
//    ("modelProviders.a.modelList[0]: random providers form a cycle: a -> b -> a");
//    processorChain, when set, names a chain in processorChains; trivial's
//    chunkDelayMs is finite and >= 0. systemInstruction, safetySettings,
//    thinkingBudget and includeThoughts only on gemini; safetySettings keys
//    and values from kGeminiHarmCategories / kGeminiHarmThresholds
//    ("modelProviders.g.safetySettings.HARM_CATEGORY_X: unknown harm category
//    ..."); thinkingBudget >= -1.
//  - processorChains.<c>[i].type is a known processor type, recursively inside
//    random (processorList, processorWeights[j].config, weights finite and > 0)
//    and chain (processors). The other fields of each processor are validated
//    when it is built, by dataplane/processors.
//  - port <= 65535; server/upstream numbers are finite and positive.
// The first error in a fixed order: port, keyProviders, modelProviders, random
// cycles, processorChains, server, upstream; maps in sorted key order.
// Environment variables are not resolved here (the control plane validates
// configs whose keys live only in data planes' environments); the data plane
// resolves them when it builds a snapshot.
absl::Status ValidateConfig(const ::switchboard::config::v1::Config& config);

}  // namespace switchboard::config
