// LVM targets without lvm tools: PV labels, device-mapper tables (text, the
// ioctl layout, device rewriting), the load record lines, and the capture
// side's translation back to the capture kernel's device numbers over a
// fake sysfs whose "disks" carry real LVM2 labels.
#include <linux/dm-ioctl.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "agent/dm_activate.h"
#include "config/load_record.h"
#include "targets/dm_table.h"
#include "targets/lvm_label.h"
#include "tests/initramfs/temp_tree.h"

using namespace kdk;
using namespace kdk::targets;
using kdk::initramfs::testing::TempTree;

namespace {

void put_le(std::vector<uint8_t>& b, size_t at, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// The first 4 sectors of a PV, laid out as LVM2 writes them (label in sector 1).
std::vector<uint8_t> pv_head(const std::string& uuid32, unsigned sector = 1) {
  std::vector<uint8_t> b(kLvmLabelScanBytes, 0);
  uint8_t* l = &b[sector * 512];
  std::memcpy(l, "LABELONE", 8);
  put_le(b, sector * 512 + 8, sector, 8);
  put_le(b, sector * 512 + 20, 32, 4);
  std::memcpy(l + 24, "LVM2 001", 8);
  std::memcpy(l + 32, uuid32.data(), 32);
  return b;
}

const std::string kUuid32 = "aB3dEfGhIjKlMnOpQrStUvWxYz012345";
const std::string kUuid = "aB3dEf-GhIj-KlMn-OpQr-StUv-WxYz-012345";

Clock fake_clock() {
  auto t = std::make_shared<std::chrono::milliseconds>(0);
  return Clock{[t] { return *t; }, [t](std::chrono::milliseconds d) { *t += d; }};
}

}  // namespace

TEST_CASE("LVM2 PV label", "[lvm]") {
  CHECK(lvm_pv_uuid(pv_head(kUuid32)) == kUuid);
  CHECK(lvm_pv_uuid(pv_head(kUuid32, 0)) == kUuid);
  std::vector<uint8_t> zeros(kLvmLabelScanBytes, 0);
  CHECK(!lvm_pv_uuid(zeros));
  SECTION("a label claiming another sector is not trusted") {
    auto b = pv_head(kUuid32);
    put_le(b, 512 + 8, 3, 8);
    CHECK(!lvm_pv_uuid(b));
  }
  SECTION("a wrong type") {
    auto b = pv_head(kUuid32);
    std::memcpy(&b[512 + 24], "LVM1 001", 8);
    CHECK(!lvm_pv_uuid(b));
  }
  SECTION("a short read") { CHECK(!lvm_pv_uuid(std::span<const uint8_t>(pv_head(kUuid32)).first(600))); }
}

TEST_CASE("device-mapper table lines and device rewriting", "[lvm]") {
  auto t = parse_dm_target_line("0 204800 linear 8:16 2048");
  REQUIRE(t.ok());
  CHECK(t->start == 0);
  CHECK(t->length == 204800);
  CHECK(t->type == "linear");
  CHECK(t->params == "8:16 2048");
  CHECK(t->to_line() == "0 204800 linear 8:16 2048");
  CHECK(!parse_dm_target_line("0 linear 8:16").ok());
  CHECK(!parse_dm_target_line("0 0 linear 8:16 0").ok());

  auto striped = "2 64 8:16 2048 259:3 2048";
  CHECK(dm_device_words(striped) == std::vector<std::string>{"8:16", "259:3"});
  auto r = rewrite_dm_devices(striped, [](const std::string& d) -> std::optional<std::string> {
    return d == "8:16" ? "pv:A" : "pv:B";
  });
  REQUIRE(r.ok());
  CHECK(*r == "2 64 pv:A 2048 pv:B 2048");
  // Numbers that are not devices stay; a device without a name is an error naming it.
  auto bad = rewrite_dm_devices("8:16 2048", [](const std::string&) { return std::optional<std::string>(); });
  REQUIRE(!bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("8:16"));
}

TEST_CASE("device-mapper ioctl table layout", "[lvm]") {
  std::vector<DmTarget> table{{0, 1000, "linear", "8:16 2048"}, {1000, 500, "striped", "2 8 8:32 0 8:48 0"}};
  auto in = encode_dm_targets(table);
  REQUIRE(in.size() % 8 == 0);
  dm_target_spec first;
  std::memcpy(&first, in.data(), sizeof first);
  CHECK(first.next % 8 == 0);
  CHECK(std::string(first.target_type) == "linear");
  // The kernel's reply uses offsets from the start of the data, not from
  // each record: for two records the first offset is the same either way.
  auto out = decode_dm_targets(in, 2);
  REQUIRE(out.ok());
  CHECK(*out == table);
  CHECK(!decode_dm_targets(std::span<const uint8_t>(in).first(20), 1).ok());
  auto cut = in;
  cut.resize(first.next + sizeof(dm_target_spec) + 2);  // second params unterminated
  CHECK(!decode_dm_targets(cut, 2).ok());
}

TEST_CASE("load record carries device-mapper mappings", "[lvm]") {
  config::LoadRecord r;
  r.host = "h";
  r.kernel_release = "6.1.0";
  r.dm_devices = {{"inner", "", {"0 100 linear pv:" + kUuid + " 2048"}},
                  {"kdkvg-kdklv", "LVM-abc", {"0 100 linear dm:inner 0", "100 50 linear partuuid:1234-5 0"}}};
  auto parsed = config::parse_load_record(r.serialize(), "load.conf");
  REQUIRE(parsed.ok());
  CHECK(parsed->dm_devices == r.dm_devices);
  auto orphan = config::parse_load_record("host = h\ndm_table = x 0 1 linear 8:1 0\n", "load.conf");
  REQUIRE(!orphan.ok());
  CHECK_THAT(orphan.error().message, Catch::Contains("load.conf:2"));
}

TEST_CASE("capture side: PVs found by label whatever their numbers, tables translated", "[lvm]") {
  TempTree t;
  // The capture kernel calls the PV sdb (8:16) where the production kernel had another name.
  t.put("sys/sda/dev", "8:0\n");
  t.put("dev/sda", std::string(kLvmLabelScanBytes, '\0'));
  auto head = pv_head(kUuid32);
  t.put("sys/sdb/dev", "8:16\n");
  t.put("dev/sdb", std::string(head.begin(), head.end()));
  agent::DmPaths p{t.path + "/sys", t.path + "/dev", t.path + "/no-control"};
  std::vector<config::RecordedDmDevice> devs{{"vg-lv", "LVM-x", {"0 100 linear pv:" + kUuid + " 2048"}}};

  auto found = agent::find_dm_lower_devices(devs, std::chrono::seconds(1), fake_clock(), p);
  REQUIRE(found.ok());
  REQUIRE(found->size() == 1);
  CHECK((*found)[0].second == "8:16");
  auto line = agent::translate_dm_line(devs[0].table[0], *found);
  REQUIRE(line.ok());
  CHECK(*line == "0 100 linear 8:16 2048");
  CHECK(!agent::translate_dm_line("0 1 linear dm:other 0", *found).ok());

  SECTION("a PV that never appears is named after the timeout") {
    devs[0].table[0] = "0 100 linear pv:nope 0";
    auto missing = agent::find_dm_lower_devices(devs, std::chrono::seconds(2), fake_clock(), p);
    REQUIRE(!missing.ok());
    CHECK_THAT(missing.error().message, Catch::Contains("pv:nope") && Catch::Contains("2 s"));
  }
  SECTION("creating needs the control node") {
    auto s = agent::activate_dm_devices(devs, std::chrono::seconds(1), fake_clock(), p);
    REQUIRE(!s.ok());
    CHECK_THAT(s.error().message, Catch::Contains("device-mapper control"));
  }
}
