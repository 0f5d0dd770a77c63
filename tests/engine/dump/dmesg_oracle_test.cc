// The kernel log survives our dump: makedumpfile --dump-dmesg on our
// kdump-compressed file prints exactly what kdumpkit dmesg prints from the
// raw vmcore (which in turn equals makedumpfile's on the raw vmcore: see
// tests/engine/dmesg/).
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "engine/dmesg/vmcore_dmesg.h"
#include "engine/dump/dump.h"
#include "fake_vmcore.h"
#include "tests/lib/test_env.h"

using namespace kdk;

TEST_CASE("oracle: makedumpfile --dump-dmesg on our dump equals kdumpkit dmesg on the raw vmcore",
          "[dump][dmesg][oracle]") {
  test::require_tool("makedumpfile", "makedumpfile");
  int compared = 0;
  for (const char* variable : {"KDK_FIXTURE_VMCORE", "KDK_FIXTURE_BUSY_VMCORE"}) {
    test::require_env_file(variable);
    const char* vmcore = std::getenv(variable);
    CAPTURE(vmcore);
    dump::test::TempDir dir;
    std::string ours = dir.file("ours.kdump");
    {
      auto core = vmcore::VmcoreFile::open(vmcore);
      REQUIRE(core.ok());
      dump::DumpOptions o;
      o.dump_level = 31;
      o.compression = dump::Compression::lzo;  // Debian's makedumpfile has no zstd
      o.quiet = true;
      auto fd = open_fd(ours, O_RDWR | O_CREAT | O_TRUNC, 0644);
      REQUIRE(fd.ok());
      dump::FileSink sink(fd->get(), ours);
      REQUIRE(dump::dump_vmcore(*core, o, sink).ok());
    }
    std::string out = dir.file("mdf-dmesg.txt");
    REQUIRE(std::system(("makedumpfile --dump-dmesg " + ours + " " + out + " >/dev/null 2>&1").c_str()) == 0);
    auto theirs = read_file(out);
    REQUIRE(theirs.ok());
    // Debian's makedumpfile (1.7.2) prints no caller ids.
    auto log = dmesg::read_vmcore_kernel_log(vmcore, dmesg::ReadOptions{.caller_id = false});
    REQUIRE(log.ok());
    CHECK(log->text().size() > 1000);
    CHECK(log->text() == *theirs);
    ++compared;
  }
  CHECK(compared == 2);
}
