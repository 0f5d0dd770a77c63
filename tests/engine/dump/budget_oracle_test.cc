// Determinism on a real vmcore: the same bytes whatever the memory budget
// (a tiny one forces many cycles over the pfn range) and thread count, in
// the kdump-compressed and the flattened formats.
#include <fcntl.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <string>

#include "engine/dump/dump.h"
#include "fake_vmcore.h"
#include "tests/lib/test_env.h"

using namespace kdk;

namespace {

std::vector<uint8_t> dump_with(const char* vmcore, const std::string& out, dump::DumpFormat format,
                               uint64_t memory, unsigned threads) {
  auto core = vmcore::VmcoreFile::open(vmcore);
  REQUIRE(core.ok());
  dump::DumpOptions o;
  o.dump_level = 31;
  o.format = format;
  o.memory_bytes = memory;
  o.threads = threads;
  o.quiet = true;
  auto fd = open_fd(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd.ok());
  dump::FileSink file(fd->get(), out);
  dump::FlatSink flat(fd->get(), out);
  dump::Sink& sink = format == dump::DumpFormat::flat ? static_cast<dump::Sink&>(flat) : file;
  auto stats = dump::dump_vmcore(*core, o, sink);
  INFO((stats.ok() ? std::string() : stats.error().message));
  REQUIRE(stats.ok());
  return dump::test::slurp(out);
}

}  // namespace

TEST_CASE("oracle: a tiny memory budget and any thread count give the same bytes", "[dump][oracle]") {
  test::require_env_file("KDK_FIXTURE_BUSY_VMCORE");
  const char* vmcore = std::getenv("KDK_FIXTURE_BUSY_VMCORE");
  dump::test::TempDir dir;
  for (auto format : {dump::DumpFormat::kdump, dump::DumpFormat::flat}) {
    auto reference = dump_with(vmcore, dir.file("ref"), format, 64ULL << 20, 1);
    CHECK(reference.size() > (1u << 20));
    // 1 MiB: the smallest budget the engine accepts, a few pfns per cycle.
    CHECK((dump_with(vmcore, dir.file("tiny"), format, 1ULL << 20, 2) == reference));
    CHECK((dump_with(vmcore, dir.file("two"), format, 64ULL << 20, 2) == reference));
  }
}
