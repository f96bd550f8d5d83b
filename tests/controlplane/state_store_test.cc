#include "controlplane/state_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "controlplane/config_check.h"
#include "tests/controlplane/test_util.h"

namespace switchboard::controlplane {
namespace {

namespace fs = std::filesystem;

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/sb-state-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    dir_ = root_ + "/state";
  }
  void TearDown() override { fs::remove_all(root_); }

  ConfigVersion Version(uint64_t number, const std::string& summary) {
    ConfigVersion v;
    v.version = number;
    v.time = std::chrono::system_clock::now();
    v.author = "tester@127.0.0.1";
    v.summary = summary;
    v.config = std::make_shared<const config::v1::Config>(testing::ParseYaml(testing::kBaseYaml));
    return v;
  }
  std::string FileOf(uint64_t number) const {
    char name[40];
    std::snprintf(name, sizeof(name), "v%020llu.json", static_cast<unsigned long long>(number));
    return dir_ + "/versions/" + name;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  static void Write(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }

  std::string root_;
  std::string dir_;
};

TEST_F(StateStoreTest, SavedVersionsLoadBackInOrder) {
  StateStore store(dir_);
  ASSERT_TRUE(store.Open().ok());
  ASSERT_TRUE(store.Save(Version(1, "first")).ok());
  ASSERT_TRUE(store.Save(Version(2, "second")).ok());
  auto loaded = StateStore(dir_).Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->versions.size(), 2u);
  EXPECT_EQ(loaded->versions[0].version, 1u);
  EXPECT_EQ(loaded->versions[1].summary, "second");
  EXPECT_EQ(loaded->versions[1].author, "tester@127.0.0.1");
  EXPECT_TRUE(SameConfig(*loaded->versions[1].config, testing::ParseYaml(testing::kBaseYaml)));
  EXPECT_EQ(loaded->highest_version, 2u);
  EXPECT_TRUE(loaded->problems.empty());
}

TEST_F(StateStoreTest, FilesArePrivateAndHumanReadable) {
  StateStore store(dir_);
  ASSERT_TRUE(store.Open().ok());
  ASSERT_TRUE(store.Save(Version(7, "seven")).ok());
  struct stat st {};
  ASSERT_EQ(stat(FileOf(7).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::string text = Read(FileOf(7));
  EXPECT_EQ(text.rfind("switchboard-state v1 length=", 0), 0u) << text;
  EXPECT_NE(text.find("\"summary\": \"seven\""), std::string::npos) << text;
}

TEST_F(StateStoreTest, TruncatedFileIsReportedAndThePreviousVersionWins) {
  StateStore store(dir_);
  ASSERT_TRUE(store.Open().ok());
  ASSERT_TRUE(store.Save(Version(1, "good")).ok());
  ASSERT_TRUE(store.Save(Version(2, "will be cut")).ok());
  std::string text = Read(FileOf(2));
  Write(FileOf(2), text.substr(0, text.size() / 2));  // a half-written file

  auto loaded = StateStore(dir_).Load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->versions.size(), 1u);
  EXPECT_EQ(loaded->versions.back().summary, "good");
  EXPECT_EQ(loaded->highest_version, 2u) << "the next version must not reuse 2";
  ASSERT_EQ(loaded->problems.size(), 1u);
  EXPECT_NE(loaded->problems[0].find("truncated"), std::string::npos) << loaded->problems[0];
  EXPECT_TRUE(fs::exists(FileOf(2) + ".corrupt")) << "kept for inspection";
  EXPECT_FALSE(fs::exists(FileOf(2)));

  // Reported once; the number still counts.
  auto again = StateStore(dir_).Load();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->problems.empty());
  EXPECT_EQ(again->highest_version, 2u);
}

TEST_F(StateStoreTest, FlippedByteFailsTheChecksum) {
  StateStore store(dir_);
  ASSERT_TRUE(store.Open().ok());
  ASSERT_TRUE(store.Save(Version(1, "good")).ok());
  ASSERT_TRUE(store.Save(Version(2, "flipped")).ok());
  std::string text = Read(FileOf(2));
  size_t at = text.find("flipped");
  text[at] = 'F';
  Write(FileOf(2), text);
  auto loaded = StateStore(dir_).Load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->versions.size(), 1u);
  ASSERT_EQ(loaded->problems.size(), 1u);
  EXPECT_NE(loaded->problems[0].find("checksum mismatch"), std::string::npos) << loaded->problems[0];
}

TEST_F(StateStoreTest, GarbageAndWrongNumbersAreRejected) {
  StateStore store(dir_);
  ASSERT_TRUE(store.Open().ok());
  ASSERT_TRUE(store.Save(Version(3, "three")).ok());
  Write(FileOf(4), "not a state file at all\n");
  fs::copy_file(FileOf(3), FileOf(5));  // a good file under the wrong name
  auto loaded = StateStore(dir_).Load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->versions.size(), 1u);
  EXPECT_EQ(loaded->versions[0].version, 3u);
  EXPECT_EQ(loaded->problems.size(), 2u);
  EXPECT_EQ(loaded->highest_version, 5u);
}

TEST_F(StateStoreTest, LeftoverTemporaryFileIsRemoved) {
  StateStore store(dir_);
  ASSERT_TRUE(store.Open().ok());
  ASSERT_TRUE(store.Save(Version(1, "one")).ok());
  Write(FileOf(2) + ".tmp", "switchboard-state v1 length=999 sha256=00\n{");
  auto loaded = StateStore(dir_).Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->versions.size(), 1u);
  EXPECT_EQ(loaded->highest_version, 1u);
  ASSERT_EQ(loaded->problems.size(), 1u);
  EXPECT_FALSE(fs::exists(FileOf(2) + ".tmp"));
}

TEST_F(StateStoreTest, PruneRemovesOldVersions) {
  StateStore store(dir_);
  ASSERT_TRUE(store.Open().ok());
  for (uint64_t v = 1; v <= 4; ++v) ASSERT_TRUE(store.Save(Version(v, "v")).ok());
  store.Prune(3);
  auto loaded = StateStore(dir_).Load();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->versions.size(), 2u);
  EXPECT_EQ(loaded->versions[0].version, 3u);
}

TEST_F(StateStoreTest, UnwritableDirectoryIsAnError) {
  StateStore store("/proc/switchboard-cannot-exist");
  EXPECT_FALSE(store.Open().ok());
}

}  // namespace
}  // namespace switchboard::controlplane
