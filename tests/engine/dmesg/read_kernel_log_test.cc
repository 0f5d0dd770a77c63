#include "engine/dmesg/read_kernel_log.h"

#include <catch2/catch.hpp>
#include <string>

#include "engine/dmesg/log_line.h"
#include "tests/engine/dmesg/fake_kernel_memory.h"

using namespace kdk::dmesg;
using namespace kdk::dmesg::testing;
using kdk::vmcore::VmcoreInfo;

namespace {

std::string line(uint64_t ts, std::string_view text, bool caller = false, uint32_t caller_id = 0) {
  std::string s;
  append_log_line(s, LogRecord{ts, caller_id, text}, caller);
  return s;
}

// The ring's mechanics are checked on lines without caller ids (1.7.2's
// format); the default, with them, has its own case.
KernelLog read_ok(FakeKernelMemory& mem, const std::string& vmcoreinfo,
                  ReadOptions opt = {.caller_id = false}) {
  auto log = read_kernel_log(mem, VmcoreInfo::parse(vmcoreinfo), opt);
  INFO((log ? std::string() : log.error().message));
  REQUIRE(log.ok());
  return std::move(log).value();
}

}  // namespace

TEST_CASE("log lines are formatted as makedumpfile --dump-dmesg writes them", "[dmesg]") {
  CHECK(line(0, "Linux version 6.1") == "[    0.000000] Linux version 6.1\n");
  CHECK(line(5067883123ULL, "sysrq: Trigger a crash") == "[    5.067883] sysrq: Trigger a crash\n");
  CHECK(line(123456789012345678ULL, "x") == "[123456789.012345] x\n");
  // Multi-line records continue at the text column.
  CHECK(line(1000, "a\nb\n") == "[    0.000001] a\n               b\n               \n");
  // Tabs, CR, VT, FF pass; control bytes and DEL are \xNN; high bytes come
  // out sign-extended, as makedumpfile's signed char gives them.
  CHECK(line(0, std::string("t\tr\r\x01\x7f\xc3\xa9", 8)) ==
        "[    0.000000] t\tr\r\\x01\\x7f\\xffffffc3\\xffffffa9\n");
  CHECK(line(0, std::string("a\0b", 3)) == "[    0.000000] a\\x00b\n");
  CHECK(line(0, "") == "[    0.000000] \n");
  // makedumpfile 1.7.5+ caller ids.
  CHECK(line(0, "x", true, 1) == "[    0.000000] [      T1] x\n");
  CHECK(line(0, "x\ny", true, 0x80000003u) == "[    0.000000] [      C3] x\n                          y\n");
}

TEST_CASE("printk_ringbuffer: records from tail to head", "[dmesg]") {
  FakeKernelMemory mem;
  RingBuilder rb(mem, 4, 12);
  rb.add(0, "Linux version 6.1.0");
  rb.add(1500000, "second\nline two");
  rb.add(5067883000ULL, "sysrq: Trigger a crash");
  rb.add(5068204000ULL, "Kernel panic - not syncing: sysrq triggered crash");
  KernelLog log = read_ok(mem, ringbuffer_vmcoreinfo(RingBuilder::kPrbSymbol));
  CHECK(log.source() == "printk_ringbuffer");
  CHECK(log.records() == 4);
  CHECK_FALSE(log.damaged());
  CHECK(log.text() ==
        "[    0.000000] Linux version 6.1.0\n"
        "[    0.001500] second\n"
        "               line two\n"
        "[    5.067883] sysrq: Trigger a crash\n"
        "[    5.068204] Kernel panic - not syncing: sysrq triggered crash\n");
  CHECK(log.panic_line() == "sysrq: Trigger a crash");

  // The default prints them, as upstream makedumpfile does.
  KernelLog with_caller = read_ok(mem, ringbuffer_vmcoreinfo(RingBuilder::kPrbSymbol), ReadOptions{});
  CHECK(with_caller.text().starts_with("[    0.000000] [      T1] Linux version 6.1.0\n"));
}

TEST_CASE("printk_ringbuffer: empty ring (only the initial reusable descriptor)", "[dmesg]") {
  FakeKernelMemory mem;
  RingBuilder rb(mem, 4, 12, RingBuilder::kIdMask - 16);
  rb.set_desc(rb.head_id, RingBuilder::kReusable, 1, 1);
  KernelLog log = read_ok(mem, ringbuffer_vmcoreinfo(RingBuilder::kPrbSymbol));
  CHECK(log.records() == 0);
  CHECK(log.text().empty());
  CHECK(log.panic_line().empty());
  CHECK_FALSE(log.damaged());
}

TEST_CASE("printk_ringbuffer: descriptor ids wrap around the id space and the ring", "[dmesg]") {
  FakeKernelMemory mem;
  RingBuilder rb(mem, 2, 12, RingBuilder::kIdMask - 2);  // 4 descriptors
  for (int i = 0; i < 7; ++i) rb.add(i * 1000000000ULL, "msg " + std::to_string(i));
  CHECK(rb.head_id == 3);  // ids ... mask-1, mask, 0, 1, 2, 3
  KernelLog log = read_ok(mem, ringbuffer_vmcoreinfo(RingBuilder::kPrbSymbol));
  CHECK(log.text() ==
        "[    3.000000] msg 3\n"
        "[    4.000000] msg 4\n"
        "[    5.000000] msg 5\n"
        "[    6.000000] msg 6\n");
  CHECK_FALSE(log.damaged());
}

TEST_CASE("printk_ringbuffer: a text block that wraps is read from the ring's start", "[dmesg]") {
  FakeKernelMemory mem;
  RingBuilder rb(mem, 4, 6);         // 64-byte text ring
  rb.add(1000, "first record 123");  // 8+16 -> 24 bytes at 0
  rb.add(2000, "second record 45");  // 24 bytes at 24
  rb.add(3000, "third 6789");        // 8+10 -> 24 bytes at 48: wraps, stored at 0
  // The first record's data was overwritten: the kernel made it reusable
  // and moved the tail past it.
  rb.set_desc(rb.tail_id, RingBuilder::kReusable, 0, 24);
  KernelLog log = read_ok(mem, ringbuffer_vmcoreinfo(RingBuilder::kPrbSymbol));
  CHECK(log.text() ==
        "[    0.000002] second record 45\n"
        "[    0.000003] third 6789\n");
}

TEST_CASE("printk_ringbuffer: reserved, missed and data-less descriptors are skipped", "[dmesg]") {
  FakeKernelMemory mem;
  RingBuilder rb(mem, 4, 12);
  rb.add(1000, "committed", RingBuilder::kCommitted);
  uint64_t gone = rb.add(2000, "reused");
  rb.add(3000, "in progress", RingBuilder::kReserved);
  uint64_t empty = rb.add(4000, "x");
  rb.add(5000, "last");
  rb.set_desc(gone, RingBuilder::kFinalized, 0, 0);
  mem.put<uint64_t>(RingBuilder::kDescs + (gone % rb.count()) * 24, (2ULL << 62) | (gone + 16));  // other id
  rb.set_desc(empty, RingBuilder::kFinalized, 1, 1);  // FAILED_LPOS: no data
  KernelLog log = read_ok(mem, ringbuffer_vmcoreinfo(RingBuilder::kPrbSymbol));
  CHECK(log.text() == "[    0.000001] committed\n[    0.000005] last\n");
}

TEST_CASE("printk_ringbuffer: truncated text is cut at the block's end", "[dmesg]") {
  FakeKernelMemory mem;
  RingBuilder rb(mem, 4, 12);
  uint64_t id = rb.add(1000, "abcdefgh");  // block of 16: id + 8 bytes
  rb.set_info(id, 1000, 200);              // text_len says more
  KernelLog log = read_ok(mem, ringbuffer_vmcoreinfo(RingBuilder::kPrbSymbol));
  CHECK(log.text() == "[    0.000001] abcdefgh\n");
}

TEST_CASE("printk_ringbuffer: damage stops the walk and is reported", "[dmesg]") {
  FakeKernelMemory mem;
  RingBuilder rb(mem, 4, 12);
  for (int i = 0; i < 5; ++i) rb.add(i * 1000, "m" + std::to_string(i));
  std::string vmci = ringbuffer_vmcoreinfo(RingBuilder::kPrbSymbol);

  SECTION("head and tail further apart than the ring") {
    mem.put<uint64_t>(RingBuilder::kRing + 32, rb.head_id - 1000);
    KernelLog log = read_ok(mem, vmci);
    CHECK(log.damaged());
    CHECK(log.damage_summary().find("apart") != std::string::npos);
    CHECK(log.text().find("[    0.000004] m4\n") != std::string::npos);
  }
  SECTION("text block shorter than its id") {
    rb.set_desc(2, RingBuilder::kFinalized, 100, 104);
    rb.set_info(2, 2000, 60000);
    KernelLog log = read_ok(mem, vmci);
    CHECK(log.records() == 5);
    CHECK(log.text().find("[    0.000002] \n") != std::string::npos);
    CHECK(log.damaged());
  }
  SECTION("descriptors that all point at one big block") {
    for (uint64_t id = 0; id < 5; ++id) {
      rb.set_desc(id, RingBuilder::kFinalized, 0, 4000);
      rb.set_info(id, id, 3000);
    }
    KernelLog log = read_ok(mem, vmci);
    CHECK(log.records() == 1);
    // The block carries the first record's id: the others are not its owners.
    CHECK(log.damage_summary().find("belongs to id 0") != std::string::npos);
  }
  SECTION("a descriptor that does not carry its id") {
    const uint64_t id = rb.tail_id + 2;
    rb.set_desc(id + rb.count(), RingBuilder::kFinalized, 0, 16);  // its slot, another id
    KernelLog log = read_ok(mem, vmci);
    CHECK(log.records() == 4);
    CHECK(log.damage_summary().find("1 descriptors between") != std::string::npos);
  }
  SECTION("a text block that another id owns") {
    // Record tail+3's descriptor names the tail's block (lpos 0..16).
    rb.set_desc(rb.tail_id + 3, RingBuilder::kFinalized, 0, 16);
    KernelLog log = read_ok(mem, vmci);
    CHECK(log.records() == 4);
    CHECK(log.damage_summary().find("belongs to id") != std::string::npos);
  }
  SECTION("text_len longer than the block") {
    rb.set_info(rb.tail_id + 1, 1000, 900);
    KernelLog log = read_ok(mem, vmci);
    CHECK(log.records() == 5);
    CHECK(log.damage_summary().find("is longer than its") != std::string::npos);
  }
  SECTION("unreadable descriptors") {
    std::vector<uint8_t> keep(24 * 3);
    REQUIRE(mem.read(RingBuilder::kDescs, keep.data(), keep.size()).ok());
    mem.add(RingBuilder::kDescs, keep.size());  // the array now ends after slot 2
    mem.put_bytes(RingBuilder::kDescs, keep.data(), keep.size());
    KernelLog log = read_ok(mem, vmci);
    CHECK(log.records() == 3);
    CHECK(log.damaged());
    CHECK(log.damage_summary().find("descriptor 3") != std::string::npos);
  }
  SECTION("impossible ring sizes are errors") {
    mem.put<uint32_t>(RingBuilder::kRing, 40);
    auto log = read_kernel_log(mem, VmcoreInfo::parse(vmci));
    REQUIRE_FALSE(log.ok());
    CHECK(log.error().message.find("count_bits") != std::string::npos);
  }
  SECTION("unreadable prb") {
    mem.put<uint64_t>(RingBuilder::kPrbSymbol, 0x1234);
    auto log = read_kernel_log(mem, VmcoreInfo::parse(vmci));
    REQUIRE_FALSE(log.ok());
    CHECK(log.error().message.find("printk_ringbuffer at 0x1234") != std::string::npos);
  }
}

TEST_CASE("printk_ringbuffer: VMCOREINFO problems are named", "[dmesg]") {
  FakeKernelMemory mem;
  std::string vmci = ringbuffer_vmcoreinfo(RingBuilder::kPrbSymbol);
  auto without = [&](const std::string& key) {
    std::string s = vmci;
    size_t at = s.find(key);
    s.erase(at, s.find('\n', at) + 1 - at);
    return s;
  };
  auto log = read_kernel_log(mem, VmcoreInfo::parse(without("OFFSET(prb_desc.state_var)")));
  REQUIRE_FALSE(log.ok());
  CHECK(log.error().message == "kernel log: VMCOREINFO has no OFFSET(prb_desc.state_var)");

  std::string bad = vmci;
  const std::string ts = "OFFSET(printk_info.ts_nsec)=8\n";
  bad.replace(bad.find(ts), ts.size(), "OFFSET(printk_info.ts_nsec)=84\n");
  log = read_kernel_log(mem, VmcoreInfo::parse(bad));
  REQUIRE_FALSE(log.ok());
  CHECK(log.error().message.find("OFFSET(printk_info.ts_nsec)=84") != std::string::npos);

  log = read_kernel_log(mem, VmcoreInfo::parse("OSRELEASE=2.6.32\nSYMBOL(log_end)=ffffffff81000000\n"));
  REQUIRE_FALSE(log.ok());
  CHECK(log.error().message.find("before 3.5") != std::string::npos);
}

TEST_CASE("printk_log: records from log_first_idx to log_next_idx", "[dmesg]") {
  FakeKernelMemory mem;
  LogBufBuilder lb(mem, 4096);
  lb.add(0, "Linux version 5.4.0");
  lb.add(2000000, "usb 1-1: new device", std::string("SUBSYSTEM=usb\0DEVICE=c189:1", 26));
  lb.add(3000000, "BUG: kernel NULL pointer dereference, address: 0000000000000000");
  lb.add(3100000, "Oops: 0002 [#1] SMP NOPTI");
  lb.add(4000000, "Kernel panic - not syncing: Fatal exception");
  KernelLog log = read_ok(mem, log_buf_vmcoreinfo());
  CHECK(log.source() == "printk_log");
  CHECK_FALSE(log.damaged());
  CHECK(log.text() ==
        "[    0.000000] Linux version 5.4.0\n"
        "[    0.002000] usb 1-1: new device\n"
        "[    0.003000] BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
        "[    0.003100] Oops: 0002 [#1] SMP NOPTI\n"
        "[    0.004000] Kernel panic - not syncing: Fatal exception\n");
  CHECK(log.panic_line() == "BUG: kernel NULL pointer dereference, address: 0000000000000000");
}

TEST_CASE("printk_log: wrap-around at the end marker", "[dmesg]") {
  FakeKernelMemory mem;
  LogBufBuilder lb(mem, 256);
  for (int i = 0; i < 6; ++i) lb.add(i * 1000, "record number " + std::to_string(i) + "...............");
  // 48-byte records at 0, 48, 96, 144, 192; the sixth did not fit before
  // 256 - 16: end marker at 240, record at 0. To make room the kernel freed
  // the first two records (it keeps a header's worth of space free).
  REQUIRE(lb.starts.back() == 0);
  lb.set_first(96);
  KernelLog log = read_ok(mem, log_buf_vmcoreinfo());
  CHECK_FALSE(log.damaged());
  CHECK(log.records() == 4);
  CHECK(log.text().starts_with("[    0.000002] record number 2"));
  CHECK(log.text().find("[    0.000005] record number 5...............\n") != std::string::npos);
  CHECK(log.text().ends_with("[    0.000005] record number 5...............\n"));
}

TEST_CASE("printk_log: empty buffer", "[dmesg]") {
  FakeKernelMemory mem;
  LogBufBuilder lb(mem, 4096);
  KernelLog log = read_ok(mem, log_buf_vmcoreinfo());
  CHECK(log.records() == 0);
  CHECK(log.text().empty());
}

TEST_CASE("printk_log: damaged buffers stop the walk, keep what was read", "[dmesg]") {
  FakeKernelMemory mem;
  LogBufBuilder lb(mem, 512);
  for (int i = 0; i < 4; ++i) lb.add(i * 1000, "entry " + std::to_string(i));
  const uint64_t buf = LogBufBuilder::kBuf;

  SECTION("a zero length where no wrap is expected") {
    mem.put<uint16_t>(buf + lb.starts[2] + 8, 0);
    KernelLog log = read_ok(mem, log_buf_vmcoreinfo());
    CHECK(log.records() == 2);
    CHECK(log.damaged());
  }
  SECTION("a length shorter than the header") {
    mem.put<uint16_t>(buf + lb.starts[1] + 8, 4);
    KernelLog log = read_ok(mem, log_buf_vmcoreinfo());
    CHECK(log.records() == 1);
    CHECK(log.damage_summary().find("length 4") != std::string::npos);
  }
  SECTION("records that loop back (a wrap that never reaches log_next_idx)") {
    // first > next: a wrap is expected; the end marker leads to 0 and the
    // records from 0 run past log_next_idx.
    lb.set_first(lb.starts[2]);
    mem.put<uint32_t>(LogBufBuilder::kVars + 0x18, lb.starts[1] + 8);  // inside record 1
    std::vector<uint8_t> zero(16, 0);
    mem.put_bytes(buf + lb.next, zero.data(), zero.size());
    KernelLog log = read_ok(mem, log_buf_vmcoreinfo());
    CHECK(log.damaged());
    CHECK(log.records() == 3);  // 2, 3, then 0; 1 would end past log_next_idx
  }
  SECTION("a second end marker") {
    lb.set_first(lb.starts[2]);
    mem.put<uint32_t>(LogBufBuilder::kVars + 0x18, lb.starts[2] - 8);
    mem.put<uint16_t>(buf + lb.next + 8, 0);
    mem.put<uint16_t>(buf + 0 + 8, 0);  // the record at 0 is an end marker too
    KernelLog log = read_ok(mem, log_buf_vmcoreinfo());
    CHECK(log.damaged());
    CHECK(log.records() == 2);
  }
  SECTION("text_len larger than the record") {
    mem.put<uint16_t>(buf + lb.starts[0] + 10, 9999);
    KernelLog log = read_ok(mem, log_buf_vmcoreinfo());
    CHECK(log.damaged());
    CHECK(log.records() == 4);
  }
  SECTION("indexes outside the buffer are errors") {
    mem.put<uint32_t>(LogBufBuilder::kVars + 0x18, 100000);
    auto log = read_kernel_log(mem, VmcoreInfo::parse(log_buf_vmcoreinfo()));
    REQUIRE_FALSE(log.ok());
  }
}

TEST_CASE("panic line: the first line that starts a crash report", "[dmesg]") {
  FakeKernelMemory mem;
  RingBuilder rb(mem, 4, 12);
  rb.add(1, "WARNING: CPU: 0 PID: 1 at foo.c:1 bar+0x1/0x2");
  rb.add(
      2,
      "Modules linked in:\ngeneral protection fault, probably for non-canonical address 0xdead: 0000 [#1]");
  rb.add(3, "Kernel panic - not syncing: Fatal exception");
  KernelLog log = read_ok(mem, ringbuffer_vmcoreinfo(RingBuilder::kPrbSymbol));
  CHECK(log.panic_line() == "general protection fault, probably for non-canonical address 0xdead: 0000 [#1]");
}
