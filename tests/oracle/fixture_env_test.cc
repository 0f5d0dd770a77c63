// The wiring of the [oracle] tests: run by the `oracle` CTest entry
// (tests/oracle/run-oracle.sh), which names the fixtures of qemu/fixtures.sh
// in the environment. Skipped when they are not set (a plain `unit_tests`
// run), failed under CI.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/lib/test_env.h"

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string head(const std::string& path, size_t n) {
  std::ifstream f(path, std::ios::binary);
  std::string s(n, '\0');
  f.read(s.data(), static_cast<std::streamsize>(n));
  s.resize(static_cast<size_t>(f.gcount()));
  return s;
}

}  // namespace

TEST_CASE("oracle: the fixture environment names raw ELF vmcores and makedumpfile's view",
          "[oracle][fixtures]") {
  const std::string idle = env("KDK_FIXTURE_VMCORE");
  const std::string busy = env("KDK_FIXTURE_BUSY_VMCORE");
  const std::string dir = env("KDK_FIXTURE_DIR");
  if (idle.empty() || busy.empty() || dir.empty()) {
    kdk::test::skip("KDK_FIXTURE_VMCORE / KDK_FIXTURE_BUSY_VMCORE / KDK_FIXTURE_DIR unset (run through ctest -R oracle)");
  }
  for (const auto& path : {idle, busy, dir + "/idle.vmcore", dir + "/busy.vmcore"}) {
    INFO(path);
    const std::string h = head(path, 18);
    REQUIRE(h.size() == 18);
    CHECK(h.substr(0, 4) == "\x7f" "ELF");
    CHECK(h[16] == 4);  // e_type ET_CORE, little endian
  }
  for (const auto& name : {"idle", "busy"}) {
    const std::string mdf = dir + "/" + name + ".mdf/";
    INFO(mdf);
    CHECK(head(mdf + "d31.kdump", 8) == "KDUMP   ");
    CHECK(!head(mdf + "classes.txt", 4).empty());
    CHECK(!head(mdf + "d31.dumped", 4).empty());
  }
}
