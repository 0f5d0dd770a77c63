#include "agent/watchdog.h"

#include <catch2/catch.hpp>

#include "agent/console_log.h"
#include "agent/test_switches.h"

using namespace kdk::agent;
using std::chrono::milliseconds;

TEST_CASE("progress monitor: alive while the measure changes within the stall window", "[watchdog]") {
  ProgressMonitor m(std::chrono::seconds(10));
  CHECK(m.alive(milliseconds(0), 5));
  CHECK(m.alive(milliseconds(9000), 5));
  CHECK_FALSE(m.alive(milliseconds(10000), 5));
  CHECK(m.alive(milliseconds(11000), 6));  // progress again: fed again
  CHECK(m.alive(milliseconds(20999), 6));
  CHECK_FALSE(m.alive(milliseconds(21000), 6));
}

TEST_CASE("test switches are kdumpkit_test.NAME=VALUE words", "[watchdog]") {
  std::string cmdline = "console=ttyS0 kdumpkit.deadline=20 kdumpkit_test.hang=1 kdumpkit_test.stall_s=5\n";
  // The shipped binary never enables them: every switch reads as absent.
  if (!kdk::agent::test_switches_enabled()) CHECK_FALSE(test_switch(cmdline, "hang"));
  kdk::agent::enable_test_switches();
  CHECK(test_switch(cmdline, "hang").value_or("") == "1");
  CHECK(test_switch(cmdline, "stall_s").value_or("") == "5");
  CHECK_FALSE(test_switch(cmdline, "deadline"));
  CHECK_FALSE(test_switch("kdumpkit_test.hangs=1", "hang"));
}

TEST_CASE("console log copy is bounded and says how much it dropped", "[console_log]") {
  ConsoleLog log(25);
  log.append("line one\n", 9);
  log.append("line two\n", 9);
  CHECK(log.text() == "line one\nline two\n");
  log.append("line three\n", 11);
  CHECK(log.text() == "(1 earlier lines dropped)\nline two\nline three\n");
}
