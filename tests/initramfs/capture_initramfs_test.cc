#include "initramfs/capture_initramfs.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "tests/initramfs/temp_tree.h"
#include "util/fd.h"

namespace kdk::initramfs {
namespace {

using TempTree = testing::TempTree;

std::string archive_bytes(const CaptureInitramfs& ird, const std::string& file) {
  auto fd = open_fd(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd.ok());
  REQUIRE(ird.archive.write_to(fd->get(), file).ok());
  fd->reset();
  auto bytes = read_file(file);
  REQUIRE(bytes.ok());
  return *bytes;
}

// Whether the archive can be written (its host files all readable).
bool archive_write_ok(const CaptureInitramfs& ird, const std::string& file) {
  auto fd = open_fd(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd.ok());
  return ird.archive.write_to(fd->get(), file).ok();
}

using testing::run;

}  // namespace

TEST_CASE("the capture initramfs holds /init, the console, the config, the record and the module closure",
          "[initramfs]") {
  TempTree t;
  t.put("modules/modules.dep",
        "kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/lib/crc16.ko\n"
        "kernel/fs/jbd2/jbd2.ko:\nkernel/lib/crc16.ko:\nkernel/crypto/crc32c_generic.ko:\n"
        "kernel/drivers/block/virtio_blk.ko:\n");
  t.put("modules/modules.softdep", "softdep ext4 pre: crc32c\n");
  t.put("modules/modules.alias", "alias crc32c crc32c_generic\n");
  for (const char* m : {"kernel/fs/ext4/ext4.ko", "kernel/fs/jbd2/jbd2.ko", "kernel/lib/crc16.ko",
                        "kernel/crypto/crc32c_generic.ko", "kernel/drivers/block/virtio_blk.ko"}) {
    t.put(std::string("modules/") + m, std::string("module ") + m);
  }
  t.put("kdumpkit", "#!binary");

  CaptureInitramfsInputs in;
  in.binary_path = t.path + "/kdumpkit";
  in.config_text = "target = disk:LABEL=kdumpdata:/crash\n";
  in.host = "kdk-guest";
  in.kernel_release = "6.1.0-56-amd64";
  in.modules_dir = t.path + "/modules";
  in.modules = {"virtio_blk", "ext4"};

  auto first = build_capture_initramfs(in);
  REQUIRE(first.ok());
  CHECK(first->record.modules.size() == 5);
  auto a = archive_bytes(*first, t.path + "/a.cpio");

  SECTION("it is reproducible byte for byte") {
    auto second = build_capture_initramfs(in);
    REQUIRE(second.ok());
    CHECK(archive_bytes(*second, t.path + "/b.cpio") == a);
  }

  SECTION("cpio lists exactly the expected entries") {
    std::string listing = run("cpio -itv --quiet < " + t.path + "/a.cpio 2>/dev/null");
    for (const char* want : {" init\n", " dev/console\n", " etc/kdumpkit.conf\n", " etc/kdumpkit/load.conf\n",
                             " lib/modules/6.1.0-56-amd64/kernel/fs/ext4/ext4.ko\n",
                             " lib/modules/6.1.0-56-amd64/kernel/crypto/crc32c_generic.ko\n",
                             " lib/modules/6.1.0-56-amd64/kernel/drivers/block/virtio_blk.ko\n"}) {
      INFO(want);
      CHECK(listing.find(want) != std::string::npos);
    }
    CHECK(listing.find("crw-------") != std::string::npos);
    CHECK(listing.find("5,   1") != std::string::npos);
  }

  SECTION("the load record inside names the host and the module order") {
    std::string record = run("cd " + t.path + " && cpio -i --quiet --to-stdout etc/kdumpkit/load.conf < a.cpio");
    CHECK(record.find("host = kdk-guest\n") != std::string::npos);
    CHECK(record.find("kernel_release = 6.1.0-56-amd64\n") != std::string::npos);
    size_t jbd2 = record.find("module = kernel/fs/jbd2/jbd2.ko");
    size_t ext4 = record.find("module = kernel/fs/ext4/ext4.ko");
    size_t crc = record.find("module = kernel/crypto/crc32c_generic.ko");
    REQUIRE(jbd2 != std::string::npos);
    REQUIRE(ext4 != std::string::npos);
    REQUIRE(crc != std::string::npos);
    CHECK(jbd2 < ext4);
    CHECK(crc < ext4);
  }

  SECTION("a soft dependency whose file is missing is skipped, a hard one is not") {
    REQUIRE(::unlink((t.path + "/modules/kernel/crypto/crc32c_generic.ko").c_str()) == 0);
    auto soft = build_capture_initramfs(in);
    REQUIRE(soft.ok());
    CHECK(soft->record.modules.size() == 4);
    REQUIRE(::unlink((t.path + "/modules/kernel/fs/jbd2/jbd2.ko").c_str()) == 0);
    CHECK_FALSE(archive_write_ok(*build_capture_initramfs(in), t.path + "/c.cpio"));
  }

  SECTION("an unknown module is refused by name") {
    in.modules.push_back("no_such_driver");
    auto bad = build_capture_initramfs(in);
    REQUIRE_FALSE(bad.ok());
    CHECK_THAT(bad.error().message, Catch::Contains("\"no_such_driver\" not found"));
  }
}

}  // namespace kdk::initramfs
