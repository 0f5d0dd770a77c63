#include "loader/dump_history.h"

#include <stdlib.h>

#include <catch2/catch.hpp>

#include "util/fd.h"
#include "util/json_writer.h"

using namespace kdk;
using namespace kdk::loader;

namespace {

// What the capture agent writes (agent/metadata.cc), in the same writer.
std::string metadata(const std::string& host, int64_t t, const std::string& utc, bool complete) {
  JsonWriter w;
  w.begin_object();
  w.number("format_version", 1);
  w.string("host", host);
  w.string("kernel_release", "6.1.0-40-amd64");
  w.number("crash_time", t);
  w.string("crash_time_utc", utc);
  w.string("panic_line", "Kernel panic - not syncing: sysrq triggered crash \"x\"");
  w.begin_object("dump").string("format", "kdump").number("level", 31).end_object();
  w.begin_array("damage").end_array();
  w.begin_array("files");
  w.begin_object()
      .string("name", "vmcore-dmesg.txt")
      .unsigned_number("size", 1024)
      .string("sha256", "ab")
      .end_object();
  w.begin_object()
      .string("name", "vmcore")
      .unsigned_number("size", 3u << 20)
      .string("sha256", "cd")
      .end_object();
  w.end_array();
  w.begin_array("targets");
  w.begin_object()
      .string("target", "disk:LABEL=x")
      .boolean("ok", true)
      .string("detail", "size 1")
      .end_object();
  w.end_array();
  w.real("seconds", 1.5);
  w.null("note");
  w.boolean("complete", complete);
  w.end_object();
  return w.text();
}

}  // namespace

TEST_CASE("metadata.json gives host, crash time, panic line, size and completeness", "[loader]") {
  auto d = parse_metadata(metadata("kdk-guest", 1764158400, "2025-11-26T12:00:00Z", true));
  REQUIRE(d.ok());
  CHECK(d->host == "kdk-guest");
  CHECK(d->crash_time == 1764158400);
  CHECK(d->crash_time_utc == "2025-11-26T12:00:00Z");
  CHECK(d->panic_line == "Kernel panic - not syncing: sysrq triggered crash \"x\"");
  CHECK(d->size == 1024 + (3u << 20));  // "size" inside "targets" or "dump" is not a file's
  CHECK(d->complete);
  CHECK_FALSE(parse_metadata(metadata("h", 1, "x", false))->complete);
}

TEST_CASE("damaged metadata.json is an error with the offset", "[loader]") {
  auto d = parse_metadata("{\"host\": \"a\", \"files\": [ {\"size\": 1}");
  REQUIRE_FALSE(d.ok());
  CHECK_THAT(d.error().message, Catch::Contains("offset"));
  CHECK_FALSE(parse_metadata("").ok());
}

TEST_CASE("the dumps on a target are listed newest first, incomplete ones too", "[loader]") {
  char tmpl[] = "/tmp/kdk-dumps-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string dir = tmpl;
  REQUIRE(make_directories(dir + "/a-old").ok());
  REQUIRE(write_file(dir + "/a-old/metadata.json", metadata("a", 1000, "old", true)).ok());
  REQUIRE(make_directories(dir + "/b-new").ok());
  REQUIRE(write_file(dir + "/b-new/metadata.json", metadata("b", 3000, "new", true)).ok());
  REQUIRE(make_directories(dir + "/c-broken").ok());
  REQUIRE(write_file(dir + "/c-broken/vmcore-incomplete", "x").ok());
  REQUIRE(make_directories(dir + "/lost+found").ok());  // not a crash directory
  auto all = find_dumps(dir, 10);
  REQUIRE(all.size() == 3);
  CHECK(all[0].directory == "c-broken");  // its mtime (now) is newer than 3000
  CHECK_FALSE(all[0].has_metadata);
  CHECK(all[1].directory == "b-new");
  CHECK(all[2].directory == "a-old");
  CHECK_THAT(describe_dump(all[1]), Catch::Contains("complete") && Catch::Contains("host b") &&
                                        Catch::Contains("3 MiB") && Catch::Contains("Kernel panic"));
  CHECK_THAT(describe_dump(all[0]), Catch::Contains("incomplete"));
  CHECK(find_dumps(dir, 1).size() == 1);
  std::system(("rm -rf " + dir).c_str());
}
