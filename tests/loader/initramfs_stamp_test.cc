#include "loader/initramfs_stamp.h"

#include <stdlib.h>

#include <catch2/catch.hpp>

#include "util/fd.h"

using namespace kdk;
using namespace kdk::loader;

TEST_CASE("the initramfs stamp names each input that changed", "[loader]") {
  char tmpl[] = "/tmp/kdk-stamp-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string dir = tmpl;
  REQUIRE(write_file(dir + "/kdumpkit", "binary v1").ok());
  REQUIRE(write_file(dir + "/ext4.ko.zst", "module v1").ok());

  StampInputs in;
  in.kernel_release = "6.1.0-40-amd64";
  in.config_text = "target = disk:LABEL=kdump\n";
  in.binary_path = dir + "/kdumpkit";
  in.module_paths = {dir + "/ext4.ko.zst"};
  in.load_record = "host = a\n";
  auto base = make_stamp(in);
  REQUIRE(base.ok());

  SECTION("same inputs: nothing to rebuild") {
    auto again = make_stamp(in);
    REQUIRE(again.ok());
    CHECK(*again == *base);
    CHECK(stamp_changes(*base, *again).empty());
  }
  SECTION("no stamp yet") { CHECK(stamp_changes("", *base) == std::vector<std::string>{"no stamp"}); }
  SECTION("config text") {
    in.config_text += "keep = 3\n";
    CHECK(stamp_changes(*base, *make_stamp(in)) == std::vector<std::string>{"config"});
  }
  SECTION("kernel release and load record") {
    in.kernel_release = "6.1.0-41-amd64";
    in.load_record = "host = b\n";
    CHECK(stamp_changes(*base, *make_stamp(in)) == std::vector<std::string>{"kernel_release", "load_record"});
  }
  SECTION("the binary's bytes") {
    REQUIRE(write_file(dir + "/kdumpkit", "binary v2").ok());
    CHECK(stamp_changes(*base, *make_stamp(in)) == std::vector<std::string>{"binary"});
  }
  SECTION("a module file's bytes, or the set of modules") {
    REQUIRE(write_file(dir + "/ext4.ko.zst", "module v2").ok());
    CHECK(stamp_changes(*base, *make_stamp(in)) == std::vector<std::string>{"modules"});
    in.module_paths.clear();
    CHECK(stamp_changes(*base, *make_stamp(in)) == std::vector<std::string>{"modules"});
  }
  SECTION("the archive's compression (the kernel's configuration changed)") {
    in.compression = "zstd";
    auto zstd = make_stamp(in);
    REQUIRE(zstd.ok());
    CHECK(stamp_changes(*base, *zstd) == std::vector<std::string>{"compression"});
    in.compression = "uncompressed";
    CHECK(stamp_changes(*zstd, *make_stamp(in)) == std::vector<std::string>{"compression"});
  }
  SECTION("a missing module file is an error naming it") {
    in.module_paths.push_back(dir + "/gone.ko");
    auto s = make_stamp(in);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.error().message, Catch::Contains("gone.ko"));
  }
  std::system(("rm -rf " + dir).c_str());
}
