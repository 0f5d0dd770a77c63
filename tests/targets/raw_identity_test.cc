#include "targets/raw_identity.h"

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "config/load_record.h"
#include "util/fd.h"

using kdk::config::RawIdentity;
using kdk::targets::raw_identity_mismatch;
using kdk::targets::read_raw_identity;

TEST_CASE("a raw device's identity round-trips through the load record", "[targets][raw]") {
  kdk::config::LoadRecord r;
  r.host = "h";
  r.raw_devices = {{"/dev/vdc", 536870912, "0fc63daf-8483-4772-8e79-3d69d8477de4", "QM00003"},
                   {"/dev/sdb", 1 << 30, "", ""}};
  auto back = kdk::config::parse_load_record(r.serialize(), "load.conf");
  REQUIRE(back.ok());
  CHECK(back->raw_devices == r.raw_devices);
  REQUIRE(back->raw_identity("/dev/vdc"));
  CHECK(back->raw_identity("/dev/vdc")->serial == "QM00003");
  CHECK_FALSE(back->raw_identity("/dev/vdd"));
  for (const char* bad : {"raw_device = vdc size=1\n", "raw_device = /dev/vdc\n",
                          "raw_device = /dev/vdc size=x\n", "raw_device = /dev/vdc size=1 colour=blue\n"}) {
    CAPTURE(bad);
    CHECK_FALSE(kdk::config::parse_load_record(std::string("host = h\n") + bad, "load.conf").ok());
  }
}

TEST_CASE("a raw device differs when its size, partition UUID or serial does", "[targets][raw]") {
  RawIdentity at_load{"/dev/vdc", 1000, "guid-a", "serial-a"};
  CHECK(raw_identity_mismatch(at_load, at_load).empty());
  RawIdentity other = at_load;
  other.size_bytes = 2000;
  CHECK(raw_identity_mismatch(at_load, other) == "size 1000 at load, 2000 now");
  other = at_load;
  other.partuuid = "";
  CHECK(raw_identity_mismatch(at_load, other) == "partition UUID guid-a at load, none now");
  other = at_load;
  other.serial = "serial-b";
  CHECK(raw_identity_mismatch(at_load, other) == "serial serial-a at load, serial-b now");
  // What load did not know is not compared.
  RawIdentity vague{"/dev/vdc", 1000, "", ""};
  CHECK(raw_identity_mismatch(vague, at_load).empty());
}

TEST_CASE("a raw device's identity is read from the device itself", "[targets][raw]") {
  char tmpl[] = "/tmp/kdk-rawid-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::string image = dir + "/raw.img";
  REQUIRE(kdk::write_file(image, std::string(4096 * 3, '\0')).ok());
  auto id = read_raw_identity(image);
  REQUIRE(id.ok());
  CHECK(id->device == image);
  CHECK(id->size_bytes == 4096 * 3);
  CHECK(id->partuuid.empty());
  CHECK_FALSE(read_raw_identity(dir + "/missing").ok());
  std::system(("rm -rf " + dir).c_str());
}
