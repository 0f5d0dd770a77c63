// Oracle: our kernel log of the fixture vmcores (crashed Debian 12 guests,
// 6.1) must equal what `makedumpfile --dump-dmesg` writes for them, byte for
// byte. Tagged [oracle]: tests/oracle/run-oracle.sh sets KDK_FIXTURE_VMCORE
// (and KDK_FIXTURE_BUSY_VMCORE); skipped when unset or the file is absent.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/dmesg/read_kernel_log.h"
#include "engine/dmesg/vmcore_dmesg.h"
#include "engine/vmcore/physical_memory.h"
#include "engine/vmcore/vmcore_file.h"
#include "tests/engine/dmesg/fixture_kernel_memory.h"
#include "tests/lib/test_env.h"

using namespace kdk;

namespace {

std::string fixture_path(const char* variable) { return test::require_env_file(variable); }

bool read_file(const std::string& path, std::string& out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return true;
}

// What makedumpfile --dump-dmesg writes for the fixture.
bool makedumpfile_dmesg(const std::string& vmcore, std::string& out) {
  char dir[] = "/tmp/kdk-dmesg-oracle-XXXXXX";
  if (!mkdtemp(dir)) return false;
  std::string file = std::string(dir) + "/dmesg.txt";
  std::string cmd = "makedumpfile --dump-dmesg '" + vmcore + "' '" + file + "' >/dev/null 2>&1";
  int rc = std::system(cmd.c_str());
  bool ok = rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0 && read_file(file, out);
  unlink(file.c_str());
  rmdir(dir);
  return ok;
}

}  // namespace

TEST_CASE("fixture: kernel log equals makedumpfile --dump-dmesg", "[dmesg][oracle]") {
  const char* variable = GENERATE("KDK_FIXTURE_VMCORE", "KDK_FIXTURE_BUSY_VMCORE");
  std::string path = fixture_path(variable);
  INFO(path);
  test::require_tool("makedumpfile", "makedumpfile");
  std::string expected;
  REQUIRE(makedumpfile_dmesg(path, expected));

  auto core = vmcore::VmcoreFile::open(path);
  REQUIRE(core.ok());
  auto phys = vmcore::PhysicalMemory::create(*core, 4096);
  REQUIRE(phys.ok());
  dmesg::testing::FixtureKernelMemory mem(*core, *phys);
  // Debian's makedumpfile (1.7.2) prints no caller ids.
  auto log = dmesg::read_kernel_log(mem, core->info(), dmesg::ReadOptions{.caller_id = false});
  INFO((log ? std::string() : log.error().message));
  REQUIRE(log.ok());

  CHECK(log->source() == "printk_ringbuffer");
  INFO(log->damage_summary());
  CHECK_FALSE(log->damaged());
  CHECK(log->text().size() == expected.size());
  CHECK(log->text() == expected);
  CHECK(log->panic_line() == "sysrq: Trigger a crash");

  // The product path: the architecture's translator (page tables and all).
  auto product = dmesg::read_vmcore_kernel_log(path, dmesg::ReadOptions{.caller_id = false});
  INFO((product ? std::string() : product.error().message));
  REQUIRE(product.ok());
  CHECK_FALSE(product->damaged());
  CHECK(product->text() == expected);
  CHECK(product->panic_line() == "sysrq: Trigger a crash");
}
