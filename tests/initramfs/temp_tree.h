// Test helpers: a temporary directory tree filled file by file, and a
// command's standard output.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "util/fd.h"

namespace kdk::initramfs::testing {

struct TempTree {
  std::string path;
  TempTree() {
    char tmpl[] = "/tmp/kdk-initramfs-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempTree() { (void)!std::system(("rm -rf " + path).c_str()); }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  // Writes `text` to path/rel, creating its directories.
  void put(const std::string& rel, const std::string& text) {
    size_t slash = rel.find_last_of('/');
    if (slash != std::string::npos) REQUIRE(make_directories(path + "/" + rel.substr(0, slash)).ok());
    REQUIRE(write_file(path + "/" + rel, text).ok());
  }
};

inline std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

}  // namespace kdk::initramfs::testing
