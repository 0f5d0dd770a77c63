// Compressed modules (.ko.zst, .ko.xz) travel in the capture initramfs as
// they are: the capture agent hands them to finit_module with
// MODULE_INIT_COMPRESSED_FILE, so nothing here decompresses them.
#include <fcntl.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "initramfs/capture_initramfs.h"
#include "tests/initramfs/temp_tree.h"
#include "util/fd.h"

namespace kdk::initramfs {
namespace {

using FakeModules = testing::TempTree;

using testing::run;

}  // namespace

TEST_CASE("compressed modules are carried byte for byte under their own names", "[initramfs]") {
  FakeModules t;
  t.put("m/modules.dep",
        "kernel/fs/ext4/ext4.ko.zst: kernel/fs/jbd2/jbd2.ko.xz kernel/lib/crc16.ko\n"
        "kernel/fs/jbd2/jbd2.ko.xz:\nkernel/lib/crc16.ko:\n");
  // Not real compressed data: the bytes only have to arrive unchanged.
  const std::string zst = std::string("\x28\xb5\x2f\xfd", 4) + "zstd payload";
  const std::string xz = std::string(
                             "\xfd"
                             "7zXZ\0",
                             6) +
                         "xz payload";
  t.put("m/kernel/fs/ext4/ext4.ko.zst", zst);
  t.put("m/kernel/fs/jbd2/jbd2.ko.xz", xz);
  t.put("m/kernel/lib/crc16.ko", "plain");
  t.put("kdumpkit", "#!binary");

  CaptureInitramfsInputs in;
  in.binary_path = t.path + "/kdumpkit";
  in.config_text = "target = disk:LABEL=x\n";
  in.host = "h";
  in.kernel_release = "6.12.0-test";
  in.modules_dir = t.path + "/m";
  in.modules = {"ext4"};
  auto ird = build_capture_initramfs(in);
  REQUIRE(ird.ok());
  REQUIRE(ird->record.modules.size() == 3);
  CHECK(ird->record.modules.back() == "kernel/fs/ext4/ext4.ko.zst");
  CHECK(ird->record.modules.front() != "kernel/fs/ext4/ext4.ko.zst");

  std::string file = t.path + "/a.cpio";
  {
    auto fd = open_fd(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd.ok());
    REQUIRE(ird->archive.write_to(fd->get(), file).ok());
  }
  std::string dir = "lib/modules/6.12.0-test/kernel/";
  CHECK(run("cd " + t.path + " && cpio -i --quiet --to-stdout " + dir + "fs/ext4/ext4.ko.zst < a.cpio") ==
        zst);
  CHECK(run("cd " + t.path + " && cpio -i --quiet --to-stdout " + dir + "fs/jbd2/jbd2.ko.xz < a.cpio") == xz);
  std::string record =
      run("cd " + t.path + " && cpio -i --quiet --to-stdout etc/kdumpkit/load.conf < a.cpio");
  CHECK(record.find("module = kernel/fs/jbd2/jbd2.ko.xz\n") != std::string::npos);
  CHECK(record.find("module = kernel/fs/ext4/ext4.ko.zst\n") != std::string::npos);
}

}  // namespace kdk::initramfs
