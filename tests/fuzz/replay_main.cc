// Runs a fuzz target over files or directories of inputs, without libFuzzer:
// the regression half of fuzzing, run by CTest on every build.
#include <dirent.h>
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int run_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    return 1;
  }
  std::vector<uint8_t> bytes;
  uint8_t buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  return 0;
}

int run_path(const std::string& path, int& count) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    std::fprintf(stderr, "no such input: %s\n", path.c_str());
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) {
    ++count;
    return run_file(path);
  }
  DIR* d = ::opendir(path.c_str());
  if (!d) return 1;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  }
  ::closedir(d);
  int rc = 0;
  for (const auto& name : names) rc |= run_path(path + "/" + name, count);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  int count = 0;
  int rc = 0;
  for (int i = 1; i < argc; ++i) rc |= run_path(argv[i], count);
  // Empty and tiny inputs always run: they are the classic edge cases.
  const uint8_t tiny[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  LLVMFuzzerTestOneInput(nullptr, 0);
  LLVMFuzzerTestOneInput(tiny, sizeof tiny);
  std::printf("replayed %d inputs\n", count + 2);
  return rc;
}
