#include "controlplane/config_manager.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "controlplane/config_check.h"
#include "controlplane/mutations.h"
#include "tests/controlplane/test_util.h"

namespace switchboard::controlplane {
namespace {

namespace fs = std::filesystem;

class ConfigManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/sb-manager-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    config_file_ = root_ + "/config.yaml";
    WriteConfig(testing::kBaseYaml);
  }
  void TearDown() override { fs::remove_all(root_); }

  void WriteConfig(const std::string& yaml) {
    std::ofstream out(config_file_, std::ios::trunc);
    out << yaml;
  }

  std::unique_ptr<ConfigManager> Start(bool reset = false) {
    auto manager = ConfigManager::Start(std::make_unique<StateStore>(root_ + "/state"), {config_file_, reset});
    EXPECT_TRUE(manager.ok()) << manager.status();
    return manager.ok() ? *std::move(manager) : nullptr;
  }

  static ConfigManager::Change Weights(std::map<std::string, double> weights) {
    return [weights](config::v1::Config& config) { return SetWeights(config, "pick", weights); };
  }

  std::string root_;
  std::string config_file_;
};

TEST_F(ConfigManagerTest, FirstStartMakesVersionOneFromTheFile) {
  auto manager = Start();
  ASSERT_TRUE(manager);
  VersionPtr current = manager->Current();
  EXPECT_EQ(current->version, 1u);
  EXPECT_EQ(current->author, "startup");
  EXPECT_NE(current->summary.find("initial config from"), std::string::npos) << current->summary;
}

TEST_F(ConfigManagerTest, EveryAcceptedChangeGetsTheNextVersionAndIsPublishedInOrder) {
  auto manager = Start();
  ASSERT_TRUE(manager);
  std::vector<uint64_t> published;
  manager->SetPublisher([&](const VersionPtr& v) { published.push_back(v->version); });
  auto second = manager->Mutate("alice@10.0.0.1", std::nullopt, Weights({{"a", 1}, {"b", 9}}));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->changed);
  EXPECT_EQ(second->version->version, 2u);
  EXPECT_EQ(second->version->author, "alice@10.0.0.1");
  EXPECT_EQ(second->version->summary, "SetWeights pick: a=1 b=9");
  auto third = manager->Mutate("bob@10.0.0.2", std::nullopt, Weights({{"c", 1}}));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(published, (std::vector<uint64_t>{2, 3}));

  auto history = manager->History();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0]->version, 3u);  // newest first
  EXPECT_EQ(history[2]->version, 1u);
  EXPECT_EQ(manager->History(1).size(), 1u);
}

TEST_F(ConfigManagerTest, InvalidChangeLeavesTheVersionAlone) {
  auto manager = Start();
  ASSERT_TRUE(manager);
  int published = 0;
  manager->SetPublisher([&](const VersionPtr&) { ++published; });
  auto refused = manager->Mutate("x", std::nullopt, Weights({{"missing", 1}}));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  // A change the snapshot builder refuses (a member that is itself deleted).
  auto broken = manager->Mutate("x", std::nullopt,
                                [](config::v1::Config& config) { return DeleteModelProvider(config, "a"); });
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager->Current()->version, 1u);
  EXPECT_EQ(published, 0);
  EXPECT_EQ(manager->History().size(), 1u);
}

TEST_F(ConfigManagerTest, ExpectedVersionGuardsAgainstLostUpdates) {
  auto manager = Start();
  ASSERT_TRUE(manager);
  ASSERT_TRUE(manager->Mutate("x", 1, Weights({{"a", 3}})).ok());
  auto stale = manager->Mutate("y", 1, Weights({{"a", 4}}));
  ASSERT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stale.status().message(), "expected version 1, but the current version is 2");
  EXPECT_TRUE(manager->Mutate("y", 2, Weights({{"a", 4}})).ok());
}

TEST_F(ConfigManagerTest, ChangeToTheSameConfigMakesNoVersion) {
  auto manager = Start();
  ASSERT_TRUE(manager);
  auto same = manager->Mutate("x", std::nullopt, Weights({{"a", 1}, {"b", 2}}));
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->changed);
  EXPECT_EQ(same->version->version, 1u);
}

TEST_F(ConfigManagerTest, RollbackMakesANewVersionWithTheOldContent) {
  auto manager = Start();
  ASSERT_TRUE(manager);
  ASSERT_TRUE(manager->Mutate("x", std::nullopt, Weights({{"c", 5}})).ok());
  auto rolled = manager->Rollback("x", std::nullopt, 1);
  ASSERT_TRUE(rolled.ok()) << rolled.status();
  EXPECT_EQ(rolled->version->version, 3u);
  EXPECT_TRUE(SameConfig(*rolled->version->config, *manager->History().back()->config));
  EXPECT_NE(rolled->version->summary.find("Rollback to version 1"), std::string::npos);
  EXPECT_EQ(manager->Rollback("x", std::nullopt, 99).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ConfigManagerTest, RestartKeepsLiveChangesAndIgnoresTheFile) {
  {
    auto manager = Start();
    ASSERT_TRUE(manager);
    ASSERT_TRUE(manager->Mutate("x", std::nullopt, Weights({{"c", 5}})).ok());
  }
  WriteConfig("modelProviders:\n  only: {type: trivial}\n");
  auto restarted = Start();
  ASSERT_TRUE(restarted);
  EXPECT_EQ(restarted->Current()->version, 2u);
  EXPECT_EQ(restarted->Current()->config->model_providers().at("pick").model_weights().at("c"), 5);
  EXPECT_EQ(restarted->History().size(), 2u);
}

TEST_F(ConfigManagerTest, ResetFromConfigMakesTheFileANewVersion) {
  {
    auto manager = Start();
    ASSERT_TRUE(manager);
    ASSERT_TRUE(manager->Mutate("x", std::nullopt, Weights({{"c", 5}})).ok());
  }
  WriteConfig("modelProviders:\n  only: {type: trivial}\n");
  auto reset = Start(/*reset=*/true);
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->Current()->version, 3u);
  EXPECT_EQ(reset->Current()->config->model_providers_size(), 1);
  EXPECT_NE(reset->Current()->summary.find("reset from"), std::string::npos);
}

TEST_F(ConfigManagerTest, CorruptNewestVersionFallsBackToTheLastGoodOne) {
  {
    auto manager = Start();
    ASSERT_TRUE(manager);
    ASSERT_TRUE(manager->Mutate("x", std::nullopt, Weights({{"c", 5}})).ok());
  }
  std::string newest = root_ + "/state/versions/v00000000000000000002.json";
  { std::ofstream out(newest, std::ios::trunc); out << "switchboard-state v1 length=10 sha256=ab\n{\"inf"; }
  auto restarted = Start();
  ASSERT_TRUE(restarted);
  EXPECT_EQ(restarted->Current()->version, 1u);
  auto next = restarted->Mutate("x", std::nullopt, Weights({{"a", 7}}));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->version->version, 3u) << "version numbers never go back";
}

TEST_F(ConfigManagerTest, InvalidFileAtFirstStartIsAnErrorWithItsPath) {
  WriteConfig("modelProviders:\n  r: {type: random, modelList: [nope]}\n");
  auto manager = ConfigManager::Start(std::make_unique<StateStore>(root_ + "/state"), {config_file_, false});
  ASSERT_FALSE(manager.ok());
  EXPECT_NE(manager.status().message().find("modelProviders.r.modelList[0]"), std::string::npos) << manager.status();
}

}  // namespace
}  // namespace switchboard::controlplane
