// What a test does when something it needs is missing: a tool, a fixture in
// the environment, root. Under CI (CI set to anything but "", 0 or false, as
// .ci/run does) the test fails: every tool is required there. Elsewhere the
// test process exits with 77, which CTest reports as skipped
// (SKIP_RETURN_CODE), never as passed. The shell tests have the same rule in
// tests/lib/skip.sh.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace kdk::test {

constexpr int kSkipExitCode = 77;

inline bool under_ci() {
  const char* ci = std::getenv("CI");
  if (!ci) return false;
  return std::strcmp(ci, "") != 0 && std::strcmp(ci, "0") != 0 && std::strcmp(ci, "false") != 0 &&
         std::strcmp(ci, "no") != 0;
}

// Fails the test under CI; elsewhere ends the test process as skipped.
[[noreturn]] inline void skip(const std::string& why) {
  if (under_ci()) {
    FAIL(why << " (required when CI is set)");
  }
  std::printf("SKIPPED: %s\n", why.c_str());
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(kSkipExitCode);
}

// An executable named `name` on PATH (or an absolute path).
inline bool have_tool(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t at = 0;
  while (at <= dirs.size()) {
    size_t end = dirs.find(':', at);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(at, end - at) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    at = end + 1;
  }
  return false;
}

inline void require_tool(const std::string& name, const std::string& package = "") {
  if (have_tool(name)) return;
  skip(name + " is not installed" + (package.empty() ? "" : " (Debian package " + package + ")"));
}

// A Python module importable by the system python3 (python3-libkdumpfile).
inline void require_python_module(const std::string& module, const std::string& package) {
  std::string cmd = "/usr/bin/python3 -c 'import " + module + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) == 0) return;
  skip("the Python module " + module + " is not installed (Debian package " + package + ")");
}

// The file an environment variable names (the oracle entry's fixtures).
inline std::string require_env_file(const char* variable) {
  const char* v = std::getenv(variable);
  if (!v || !*v || ::access(v, R_OK) != 0) {
    skip(std::string(variable) + " is unset or names no readable file (run the suite through ctest: the "
         "oracle entry sets it)");
  }
  return v;
}

inline void require_root() {
  if (::geteuid() != 0) skip("needs root");
}

}  // namespace kdk::test
