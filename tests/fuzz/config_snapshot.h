#pragma once
// What the config fuzz targets do with a config that loaded: build the
// snapshot the data plane would serve (every environment variable set, to one
// value), then use it the way requests do — resolve every model, draw keys,
// compute retry waits, match client paths, admit client keys.

#include <chrono>
#include <string>

#include "common/config/load.h"
#include "dataplane/routing/retry.h"
#include "dataplane/routing/snapshot.h"
#include "tests/fuzz/fuzz_util.h"

namespace switchboard::fuzz {

inline void CheckError(const absl::Status& status) {
  if (status.ok()) return;
  if (status.message().empty()) Fail("an error without a message");
  // ParseConfigText's last line of defence turns an exception into an
  // InternalError; nothing in loading should throw in the first place.
  if (absl::IsInternal(status)) Fail("loading a config threw:", status);
}

inline void UseSnapshot(const config::LoadedConfig& loaded) {
  routing::Snapshot::Options options;
  options.getenv = FixedGetenv;
  auto built = routing::Snapshot::Build(loaded.config, options);
  if (!built.ok()) {
    absl::Status annotated = config::AnnotateWithSource(built.status(), loaded);
    if (annotated.message().empty()) Fail("a snapshot error without a message");
    return;
  }
  const routing::Snapshot& snapshot = **built;
  Rng rng(snapshot.models().size());
  const auto now = routing::Clock::time_point{} + std::chrono::hours(1);
  for (const auto& model : snapshot.models()) {
    if (snapshot.Find(model->name) != model.get()) Fail("a model is not found by its name");
    routing::Route route = snapshot.Resolve(*model, rng, {}, now);
    if (route.model == nullptr) Fail("a model resolved to nothing with nothing excluded");
    if (route.model->type == routing::ProviderType::kRandom) Fail("a model resolved to a random provider");
    (void)route.model->keys.Next(now);
    for (int retry = 1; retry <= model->retry.attempts; ++retry) {
      auto wait = routing::Backoff(model->retry, retry, rng);
      if (wait.count() < 0) Fail("a negative retry wait");
    }
  }
  const routing::ClientSettings& client = snapshot.client();
  for (const auto& profile : client.profiles) {
    std::string_view rest;
    std::string path = profile.path + "/v1/chat/completions";
    if (client.Match(path, &rest) == nullptr) Fail("a profile does not match its own path");
  }
  (void)client.AllowOrigin("https://janitorai.com");
  for (const auto& key : client.client_keys) {
    std::chrono::steady_clock::duration wait{};
    for (int i = 0; i < 3; ++i) {
      if (!key.Admit(now + std::chrono::milliseconds(i), &wait)) {
        auto seconds = std::chrono::ceil<std::chrono::seconds>(wait).count();
        if (seconds < 0) Fail("a negative client-key wait");
      }
    }
  }
}

}  // namespace switchboard::fuzz
