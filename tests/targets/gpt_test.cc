#include "targets/gpt.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "targets/block_devices.h"
#include "tests/lib/test_env.h"
#include "util/fd.h"

using namespace kdk::targets;

namespace {

void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// A 512-byte-sector disk with a GPT whose partition `partno` has `guid` (on-disk bytes).
std::vector<uint8_t> gpt_disk(unsigned partno, const uint8_t guid[16]) {
  std::vector<uint8_t> disk(512 * 40, 0);
  std::memcpy(&disk[512], "EFI PART", 8);
  put32(disk, 512 + 72, 2);    // entries at LBA 2
  put32(disk, 512 + 80, 128);  // entries
  put32(disk, 512 + 84, 128);  // entry size
  size_t e = 1024 + (partno - 1) * 128;
  disk[e] = 0xaf;  // a non-zero type GUID
  std::memcpy(&disk[e + 16], guid, 16);
  disk[450] = 0xee;
  disk[510] = 0x55;
  disk[511] = 0xaa;
  return disk;
}

const uint8_t kGuid[16] = {0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66,
                           0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

std::string temp_dir() {
  char tmpl[] = "/tmp/kdk-gpt-XXXXXX";
  return ::mkdtemp(tmpl);
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  ::pclose(p);
  return out;
}

}  // namespace

TEST_CASE("GUIDs are printed mixed-endian, as blkid does", "[gpt]") {
  CHECK(format_guid(kGuid) == "00112233-4455-6677-8899-aabbccddeeff");
}

TEST_CASE("PARTUUID from a GPT entry; unused entries and bad headers are errors", "[gpt]") {
  std::string dir = temp_dir();
  auto disk = gpt_disk(3, kGuid);
  REQUIRE(kdk::write_file(dir + "/disk", std::string(disk.begin(), disk.end())));
  auto uuid = read_partuuid(dir + "/disk", 3, 512);
  REQUIRE(uuid);
  CHECK(*uuid == "00112233-4455-6677-8899-aabbccddeeff");
  auto unused = read_partuuid(dir + "/disk", 2, 512);
  REQUIRE_FALSE(unused);
  CHECK(unused.error().message.find("unused") != std::string::npos);
  CHECK_FALSE(read_partuuid(dir + "/disk", 200, 512));

  auto bad = disk;
  put32(bad, 512 + 84, 100);
  REQUIRE(kdk::write_file(dir + "/bad", std::string(bad.begin(), bad.end())));
  auto e = read_partuuid(dir + "/bad", 3, 512);
  REQUIRE_FALSE(e);
  CHECK(e.error().message.find("entry size 100") != std::string::npos);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("MBR partitions: disk signature and number", "[gpt]") {
  std::vector<uint8_t> s(512, 0);
  put32(s, 440, 0x1234abcd);
  s[510] = 0x55;
  s[511] = 0xaa;
  auto u = mbr_partuuid(s, 2);
  REQUIRE(u);
  CHECK(*u == "1234abcd-02");
}

TEST_CASE("a partition found by PARTUUID through sysfs, as sgdisk made it", "[gpt]") {
  kdk::test::require_tool("sgdisk", "gdisk");
  kdk::test::require_tool("mkfs.ext4", "e2fsprogs");
  std::string dir = temp_dir();
  REQUIRE(std::system(
              ("truncate -s 8M " + dir + "/disk && sgdisk -n 1:2048:+2M -n 2:0:0 " + dir + "/disk >/dev/null")
                  .c_str()) == 0);
  std::string info = run("sgdisk -i 2 " + dir + "/disk");
  size_t at = info.find("Partition unique GUID: ");
  REQUIRE(at != std::string::npos);
  std::string expected = info.substr(at + 23, 36);
  std::transform(expected.begin(), expected.end(), expected.begin(),
                 [](unsigned char c) { return std::tolower(c); });

  // /sys/class/block/disk2 -> devices/disk/disk2, as sysfs links partitions under their disk.
  std::string sys = dir + "/sys", dev = dir + "/dev";
  REQUIRE(std::system(("mkdir -p " + sys + "/devices/disk/disk2 " + sys + "/class " + dev +
                       " && ln -s ../devices/disk/disk2 " + sys + "/class/disk2 && ln -s ../devices/disk " +
                       sys + "/class/disk && echo 2 > " + sys + "/devices/disk/disk2/partition && cp " + dir +
                       "/disk " + dev + "/disk && truncate -s 4M " + dev +
                       "/disk2 && mkfs.ext4 -q -L part2 " + dev + "/disk2")
                          .c_str()) == 0);
  auto devices = scan_block_devices(sys + "/class", dev);
  REQUIRE(devices.size() == 1);
  CHECK(devices[0].name == "disk2");
  CHECK(devices[0].partuuid == expected);

  kdk::config::DeviceSpec spec{kdk::config::DeviceSpec::By::kPartUuid, expected};
  kdk::Clock clock{[] { return std::chrono::milliseconds(0); }, [](std::chrono::milliseconds) {}};
  auto found = wait_for_device(spec, std::chrono::milliseconds(0), clock, sys + "/class", dev);
  REQUIRE(found);
  CHECK(found->fs.label == "part2");
  std::system(("rm -rf " + dir).c_str());
}
