#include "agent/retention.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "util/fd.h"

using namespace kdk::agent;

TEST_CASE("crash directory names: host, timestamp, optional -N", "[retention]") {
  CHECK(is_crash_directory_name("kdk-guest-2026-11-26-12:37:29"));
  CHECK(is_crash_directory_name("127.0.0.1-2024-01-02-03:04:05"));
  CHECK(is_crash_directory_name("h-2026-11-26-12:37:29-3"));
  CHECK_FALSE(is_crash_directory_name("2026-11-26-12:37:29"));  // no host
  CHECK_FALSE(is_crash_directory_name("notes"));
  CHECK_FALSE(is_crash_directory_name("h-2026-11-26-12-37-29"));
  CHECK_FALSE(is_crash_directory_name("h-2026-11-26-12:37:29-x"));
}

TEST_CASE("retention keeps the newest N by the name's timestamp, counting the one to come", "[retention]") {
  std::vector<std::string> names = {"b-2026-01-03-00:00:00", "a-2026-01-01-00:00:00", "lost+found",
                                    "z-2026-01-02-00:00:00", "a-2026-01-03-00:00:00-1"};
  CHECK(expired_crash_directories(names, 0).empty());
  auto gone = expired_crash_directories(names, 2);
  // Newest: a-...-03-1 (suffix after b-...-03), then b-...-03; keep 2 = 1 old + the new one.
  REQUIRE(gone.size() == 3);
  CHECK(gone[0] == "b-2026-01-03-00:00:00");
  CHECK(gone[1] == "z-2026-01-02-00:00:00");
  CHECK(gone[2] == "a-2026-01-01-00:00:00");
  CHECK(expired_crash_directories(names, 1).size() == 4);
  CHECK(expired_crash_directories(names, 5).empty());
}

TEST_CASE("crash directories belong to the host their name starts with", "[retention]") {
  CHECK(is_crash_directory_of("web-1-2026-01-01-00:00:00", "web-1"));
  CHECK(is_crash_directory_of("web-1-2026-01-01-00:00:00-2", "web-1"));
  CHECK_FALSE(is_crash_directory_of("web-10-2026-01-01-00:00:00", "web-1"));
  CHECK_FALSE(is_crash_directory_of("web-2026-01-01-00:00:00", "web-1"));
  CHECK_FALSE(is_crash_directory_of("web-1-2026-01-01-00:00:00", "web"));
  CHECK_FALSE(is_crash_directory_of("web-1-2026-01-01-00:00:00", ""));
}

TEST_CASE("prune_crash_directories deletes only this host's complete dumps, beyond keep", "[retention]") {
  char tmpl[] = "/tmp/kdk-retention-XXXXXX";
  std::string root = ::mkdtemp(tmpl);
  auto dump_dir = [&](const std::string& d, const char* file) {
    REQUIRE(::mkdir((root + "/" + d).c_str(), 0700) == 0);
    REQUIRE(kdk::write_file(root + "/" + d + "/" + file, "x"));
  };
  dump_dir("h-2026-01-01-00:00:00", "vmcore");
  dump_dir("h-2026-01-02-00:00:00", "vmcore");
  dump_dir("h-2026-01-03-00:00:00", "vmcore");
  dump_dir("h-2025-01-01-00:00:00", "vmcore-incomplete");  // incomplete: never
  dump_dir("other-2020-01-01-00:00:00", "vmcore");         // another host: never
  dump_dir("h2-2020-01-01-00:00:00", "vmcore");            // another host whose name starts alike
  dump_dir("h-2026-02-01-00:00:00", "vmcore");             // the new one
  dump_dir("notes", "vmcore");
  REQUIRE(::mkdir((root + "/h-2026-01-01-00:00:00/sub").c_str(), 0700) == 0);
  auto removed = prune_crash_directories(root, "h", 2, "h-2026-02-01-00:00:00");
  REQUIRE(removed);
  REQUIRE(removed->size() == 2);
  CHECK_FALSE(kdk::path_exists(root + "/h-2026-01-01-00:00:00"));
  CHECK_FALSE(kdk::path_exists(root + "/h-2026-01-02-00:00:00"));
  for (const char* kept : {"h-2026-01-03-00:00:00/vmcore", "h-2026-02-01-00:00:00/vmcore",
                           "h-2025-01-01-00:00:00/vmcore-incomplete", "other-2020-01-01-00:00:00/vmcore",
                           "h2-2020-01-01-00:00:00/vmcore", "notes/vmcore"}) {
    CAPTURE(kept);
    CHECK(kdk::path_exists(root + "/" + kept));
  }
  // keep = 1: only the new one of this host's complete dumps stays.
  removed = prune_crash_directories(root, "h", 1, "h-2026-02-01-00:00:00");
  REQUIRE(removed);
  CHECK(removed->size() == 1);
  CHECK(kdk::path_exists(root + "/h-2026-02-01-00:00:00/vmcore"));
  CHECK(kdk::path_exists(root + "/other-2020-01-01-00:00:00/vmcore"));
  std::system(("rm -rf " + root).c_str());
}
