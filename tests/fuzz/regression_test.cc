// Replays saved inputs through one fuzz target's LLVMFuzzerTestOneInput, in
// the normal build (no libFuzzer): every file in tests/fuzz/regressions/<target>/
// (inputs that once crashed it, kept after the fix) and in
// tests/fuzz/corpus/<target>/ (the seeds). Linked once per target with that
// target's .cc; SWITCHBOARD_FUZZ_TARGET names it. A crash here is a crash the
// fuzzer found before coming back; the file being replayed is printed first.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> Inputs(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().filename().string().front() != '.') files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

size_t Replay(const fs::path& dir) {
  size_t count = 0;
  for (const auto& file : Inputs(dir)) {
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(in.good() || in.eof()) << "cannot read " << file;
    std::fprintf(stderr, "replaying %s\n", file.c_str());
    std::fflush(stderr);
    EXPECT_EQ(LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0) << file;
    ++count;
  }
  return count;
}

const fs::path kFuzzDir = SWITCHBOARD_FUZZ_DIR;
constexpr const char* kTarget = SWITCHBOARD_FUZZ_TARGET;

TEST(FuzzRegression, CrashInputsStayFixed) {
  size_t n = Replay(kFuzzDir / "regressions" / kTarget);
  std::printf("%s: %zu regression inputs\n", kTarget, n);
}

TEST(FuzzRegression, SeedCorpusRuns) {
  size_t n = Replay(kFuzzDir / "corpus" / kTarget);
  EXPECT_GT(n, 0u) << "no seeds in " << (kFuzzDir / "corpus" / kTarget);
}

TEST(FuzzRegression, EmptyAndTinyInputs) {
  for (size_t size = 0; size < 4; ++size) {
    std::string bytes(size, '\0');
    EXPECT_EQ(LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
  }
}

}  // namespace
