#include "loader/config_check.h"

#include <catch2/catch.hpp>

using kdk::loader::check_config;

TEST_CASE("every configuration error is reported at once, each with its line", "[loader]") {
  auto c = check_config(
      "target = disk:LABEL=kdumpdata:/crash\n"
      "nr_cpu = 2\n"              // typo in a key
      "final_action = explode\n"  // bad value
      "# a comment\n"
      "nr_cpus = 2\n"
      "dump_level = 99\n",
      "/etc/kdumpkit.conf");
  REQUIRE(c.problems.size() == 3);
  CHECK_THAT(c.problems[0], Catch::StartsWith("/etc/kdumpkit.conf:2: unknown key \"nr_cpu\""));
  CHECK_THAT(c.problems[1], Catch::StartsWith("/etc/kdumpkit.conf:3: final_action: bad value"));
  CHECK_THAT(c.problems[2], Catch::StartsWith("/etc/kdumpkit.conf:6: dump_level"));
  // What is left still parses, so the targets can be checked too.
  REQUIRE(c.config.has_value());
  CHECK(c.config->nr_cpus == 2);
  CHECK(c.config->targets.size() == 1);
  CHECK(c.config->targets[0].line == 1);
}

TEST_CASE("a clean configuration has no problems", "[loader]") {
  auto c = check_config("target = disk:UUID=0d5c0e5e-2d8e-4a4b-9f0c-0123456789ab\n", "k.conf");
  CHECK(c.problems.empty());
  REQUIRE(c.config.has_value());
}

TEST_CASE("a refused target line does not add a second 'no target' complaint", "[loader]") {
  auto c = check_config("target = floppy:/dev/fd0\nkeep = 3\n", "k.conf");
  REQUIRE(c.problems.size() == 1);
  CHECK_THAT(c.problems[0], Catch::StartsWith("k.conf:1: target"));
  CHECK_FALSE(c.config.has_value());
  auto none = check_config("keep = 3\n", "k.conf");
  REQUIRE(none.problems.size() == 1);
  CHECK_THAT(none.problems[0], Catch::Contains("no target configured"));
}

TEST_CASE("a line that is not key = value is named too", "[loader]") {
  auto c = check_config("target = disk:LABEL=a\nthis is not a setting\nkeep = x\n", "k.conf");
  REQUIRE(c.problems.size() == 2);
  CHECK_THAT(c.problems[0], Catch::StartsWith("k.conf:2:"));
  CHECK_THAT(c.problems[1], Catch::StartsWith("k.conf:3: keep"));
}

TEST_CASE("nr_cpus is auto unless the configuration gives a number", "[loader]") {
  auto dflt = check_config("target = disk:LABEL=k\n", "k.conf");
  REQUIRE(dflt.config.has_value());
  CHECK(dflt.config->nr_cpus == 0);
  auto autom = check_config("target = disk:LABEL=k\nnr_cpus = auto\n", "k.conf");
  REQUIRE(autom.config.has_value());
  CHECK(autom.config->nr_cpus == 0);
  auto one = check_config("target = disk:LABEL=k\nnr_cpus = 1\n", "k.conf");
  REQUIRE(one.config.has_value());
  CHECK(one.config->nr_cpus == 1);
  auto bad = check_config("target = disk:LABEL=k\nnr_cpus = 0\n", "k.conf");
  REQUIRE(bad.problems.size() == 1);
  CHECK_THAT(bad.problems[0], Catch::Contains("auto (what the reservation affords) or 1 to 64"));
}
