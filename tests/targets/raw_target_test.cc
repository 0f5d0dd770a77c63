// The raw partition target: header encoding and its failure modes, and the
// capture side (agent/raw_capture) and savecore round trip on a device image
// file, with the dump engine replaced by a small hand-made regular file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "agent/raw_capture.h"
#include "loader/savecore.h"
#include "targets/raw_device.h"
#include "targets/raw_header.h"
#include "tests/initramfs/temp_tree.h"
#include "util/fd.h"
#include "util/sha256.h"

using namespace kdk;
using namespace kdk::targets;
using kdk::initramfs::testing::TempTree;

namespace {

constexpr uint64_t kDevice = 64ULL << 20;

RawHeader sample_header() {
  RawHeader h;
  h.state = RawState::kCommitted;
  h.capture_id = "00112233445566778899aabbccddeeff";
  h.crash_time = 1764161849;
  h.dir_name = "host-2026-11-26-12:57:29";
  h.regions[kRawDmesg] = RawRegion{4096, 100, sha256_hex("x", 1)};
  h.regions[kRawStream] = RawRegion{1 << 20, 5000, sha256_hex("y", 1)};
  h.note = "a note";
  return h;
}

Clock fake_clock() {
  auto t = std::make_shared<std::chrono::milliseconds>(0);
  return Clock{[t] { return *t; }, [t](std::chrono::milliseconds d) { *t += d; }};
}

// A "vmcore" of `size` bytes written through the sink in pieces out of order,
// as the kdump writer does (header last).
std::string fake_dump(uint64_t size) {
  std::string s(size, '\0');
  for (uint64_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 7919) >> 5);
  return s;
}

Status write_fake_dump(dump::Sink& sink, const std::string& data) {
  const size_t head = 4096;
  for (size_t at = head; at < data.size(); at += 100000) {
    size_t n = std::min<size_t>(100000, data.size() - at);
    if (auto s = sink.write_at(at, data.data() + at, n); !s) return s;
  }
  if (auto s = sink.write_at(0, data.data(), head); !s) return s;
  return sink.finish();
}

struct Scenario {
  TempTree tmp;
  std::string dev;
  std::string dmesg = "[    0.000000] Linux version 6.1.0\n[   12.3] Kernel panic - not syncing: sysrq\n";
  std::string dump = fake_dump(3 << 20);
  agent::CaptureMetadata metadata;
  int level_asked = 31;

  explicit Scenario(uint64_t device_size = kDevice) {
    dev = tmp.path + "/raw.img";
    auto fd = open_fd(dev, O_RDWR | O_CREAT, 0600);
    REQUIRE(fd.ok());
    REQUIRE(::ftruncate(fd->get(), static_cast<off_t>(device_size)) == 0);
  }

  agent::RawCaptureResult capture() {
    agent::RawCaptureJob job;
    job.target.device = dev;
    job.target_text = "raw:" + dev;
    job.clock = fake_clock();
    job.crash_time = 1764161849;
    job.dir_name = "host-2026-11-26-12:57:29";
    job.dmesg = &dmesg;
    job.metadata = &metadata;
    job.check_space = [this](const Result<uint64_t>& usable) {
      agent::SpaceCheck c;
      c.checked = true;
      c.available_bytes = usable ? *usable : 0;
      c.chosen_level = usable && *usable >= dump.size() ? level_asked : -1;
      c.decision = c.chosen_level < 0 ? "no dump: too small" : "fits";
      return c;
    };
    job.write_dump = [this](dump::Sink& sink, int) { return write_fake_dump(sink, dump); };
    job.console_log = [] { return std::string("capture log\n"); };
    job.final_metadata = [this](const agent::TargetAttempt& a) {
      return std::string("{\"complete\": ") + (metadata.complete ? "true" : "false") + ", \"result\": \"" +
             a.result + "\"}\n";
    };
    return agent::save_to_raw(job);
  }

  RawHeaderRead header() {
    auto d = RawDevice::open(dev, false);
    REQUIRE(d.ok());
    auto h = d->read_header();
    REQUIRE(h.ok());
    return *h;
  }
};

std::string read_all(const std::string& path) {
  auto t = read_file(path);
  REQUIRE(t.ok());
  return *t;
}

}  // namespace

TEST_CASE("raw header round trip", "[raw]") {
  RawHeader h = sample_header();
  auto b = encode_raw_header(h);
  REQUIRE(b.size() == kRawHeaderSize);
  RawHeaderRead r = decode_raw_header(b, kDevice);
  REQUIRE(r.kind == RawHeaderRead::kValid);
  CHECK(r.header.state == RawState::kCommitted);
  CHECK(r.header.capture_id == h.capture_id);
  CHECK(r.header.crash_time == h.crash_time);
  CHECK(r.header.dir_name == h.dir_name);
  CHECK(r.header.note == h.note);
  CHECK(r.header.regions[kRawStream].offset == (1u << 20));
  CHECK(r.header.regions[kRawStream].sha256 == h.regions[kRawStream].sha256);
  CHECK(!r.header.regions[kRawLog].present());
}

TEST_CASE("raw header: no header, damage and nonsense are told apart", "[raw]") {
  std::vector<uint8_t> zeros(kRawHeaderSize, 0);
  CHECK(decode_raw_header(zeros, kDevice).kind == RawHeaderRead::kNone);
  // An old makedumpfile flattened stream (what kdump-utils' raw target leaves) is not ours.
  std::vector<uint8_t> flat(kRawHeaderSize, 0);
  std::memcpy(flat.data(), "makedumpfile", 12);
  CHECK(decode_raw_header(flat, kDevice).kind == RawHeaderRead::kNone);

  auto good = encode_raw_header(sample_header());
  SECTION("one flipped bit") {
    good[300] ^= 1;
    auto r = decode_raw_header(good, kDevice);
    CHECK(r.kind == RawHeaderRead::kCorrupt);
    CHECK_THAT(r.problem, Catch::Contains("checksum"));
  }
  SECTION("torn write: only the first sector new") {
    RawHeader older = sample_header();
    older.state = RawState::kWriting;
    auto old = encode_raw_header(older);
    std::memcpy(old.data(), good.data(), 512);
    CHECK(decode_raw_header(old, kDevice).kind == RawHeaderRead::kCorrupt);
  }
  SECTION("a region beyond the device") {
    auto r = decode_raw_header(good, 1 << 20);
    CHECK(r.kind == RawHeaderRead::kCorrupt);
    CHECK_THAT(r.problem, Catch::Contains("vmcore.flat") && Catch::Contains("outside the device"));
  }
  SECTION("overlapping regions") {
    RawHeader h = sample_header();
    h.regions[kRawLog] = RawRegion{(1 << 20) + 100, 10, sha256_hex("z", 1)};
    auto r = decode_raw_header(encode_raw_header(h), kDevice);
    CHECK(r.kind == RawHeaderRead::kCorrupt);
    CHECK_THAT(r.problem, Catch::Contains("overlap"));
  }
  SECTION("a directory name that would escape the crash directory") {
    RawHeader h = sample_header();
    h.dir_name = "../../etc";
    CHECK(decode_raw_header(encode_raw_header(h), kDevice).kind == RawHeaderRead::kCorrupt);
  }
  SECTION("no capture id") {
    RawHeader h = sample_header();
    h.capture_id = "";
    CHECK(decode_raw_header(encode_raw_header(h), kDevice).kind == RawHeaderRead::kCorrupt);
  }
}

TEST_CASE("raw capture ids differ", "[raw]") {
  CHECK(new_capture_id(1).size() == 32);
  CHECK(new_capture_id(1) != new_capture_id(1));
}

TEST_CASE("raw target: capture, savecore, and not twice", "[raw]") {
  Scenario s;
  auto r = s.capture();
  REQUIRE(r.kind == agent::RawCaptureResult::kComplete);
  RawHeaderRead h = s.header();
  REQUIRE(h.kind == RawHeaderRead::kValid);
  CHECK(h.header.state == RawState::kCommitted);
  CHECK(h.header.regions[kRawDmesg].offset == kRawHeaderSize);
  CHECK(h.header.regions[kRawStream].offset == (1u << 20));
  CHECK(s.metadata.complete);
  REQUIRE(s.metadata.files.size() == 3);
  CHECK(s.metadata.files[1].name == "vmcore.flat");

  auto saved = loader::savecore_device(s.dev, s.tmp.path + "/crash", true);
  INFO(saved.detail);
  REQUIRE(saved.kind == loader::SavecoreResult::kSaved);
  CHECK(saved.directory == s.tmp.path + "/crash/host-2026-11-26-12:57:29");
  CHECK(read_all(saved.directory + "/vmcore") == s.dump);
  CHECK(read_all(saved.directory + "/vmcore-dmesg.txt") == s.dmesg);
  CHECK(read_all(saved.directory + "/kdumpkit.log") == "capture log\n");
  CHECK(read_all(saved.directory + "/metadata.json") == "{\"complete\": true, \"result\": \"complete\"}\n");
  CHECK(!path_exists(saved.directory + "/vmcore-incomplete"));
  CHECK(s.header().header.state == RawState::kSaved);

  auto again = loader::savecore_device(s.dev, s.tmp.path + "/crash", true);
  CHECK(again.kind == loader::SavecoreResult::kNothing);
  CHECK_THAT(again.detail, Catch::Contains("saved already"));
}

TEST_CASE("raw target: a stale dump is replaced before anything else is written", "[raw]") {
  Scenario s;
  REQUIRE(s.capture().kind == agent::RawCaptureResult::kComplete);
  const std::string first_id = s.header().header.capture_id;
  // The second capture fails in the middle of its stream: the old committed
  // dump must not survive as if it were the new one.
  s.dump = fake_dump(2 << 20);
  {
    Scenario* sp = &s;
    agent::RawCaptureJob job;
    job.target.device = s.dev;
    job.target_text = "raw:x";
    job.clock = fake_clock();
    job.crash_time = 2;
    job.dir_name = "host-new";
    job.metadata = &s.metadata;
    job.check_space = [](const Result<uint64_t>&) {
      agent::SpaceCheck c;
      c.chosen_level = 31;
      return c;
    };
    job.write_dump = [sp](dump::Sink& sink, int) -> Status {
      REQUIRE(sink.write_at(0, sp->dump.data(), 1 << 20).ok());
      return Error{"engine failed"};
    };
    job.console_log = [] { return std::string("log\n"); };
    job.final_metadata = [](const agent::TargetAttempt&) { return std::string("{}\n"); };
    auto r = agent::save_to_raw(job);
    CHECK(r.kind == agent::RawCaptureResult::kLogOnly);
    CHECK_THAT(r.detail, Catch::Contains("engine failed"));
  }
  RawHeaderRead h = s.header();
  REQUIRE(h.kind == RawHeaderRead::kValid);
  CHECK(h.header.capture_id != first_id);
  CHECK(h.header.dir_name == "host-new");
  CHECK(!h.header.regions[kRawStream].present());
  auto saved = loader::savecore_device(s.dev, s.tmp.path + "/crash", true);
  REQUIRE(saved.kind == loader::SavecoreResult::kLogOnly);
  CHECK(!path_exists(saved.directory + "/vmcore"));
  CHECK(path_exists(saved.directory + "/metadata.json"));
}

TEST_CASE("raw target: an interrupted capture leaves its kernel log", "[raw]") {
  Scenario s;
  auto dev = RawDevice::open(s.dev, true);
  REQUIRE(dev.ok());
  RawHeader h;
  h.capture_id = new_capture_id(0);
  h.dir_name = "host-cut";
  auto r = dev->write_region(kRawHeaderSize, s.dmesg);
  REQUIRE(r.ok());
  h.regions[kRawDmesg] = *r;
  REQUIRE(dev->write_header(h).ok());  // state writing: the machine died here
  auto saved = loader::savecore_device(s.dev, s.tmp.path + "/crash", true);
  REQUIRE(saved.kind == loader::SavecoreResult::kInterrupted);
  CHECK(read_all(saved.directory + "/vmcore-dmesg.txt") == s.dmesg);
  CHECK(!path_exists(saved.directory + "/vmcore"));
  CHECK(s.header().header.state == RawState::kSaved);
}

TEST_CASE("raw target: a damaged stream is not saved and the header is kept", "[raw]") {
  Scenario s;
  REQUIRE(s.capture().kind == agent::RawCaptureResult::kComplete);
  {
    auto fd = open_fd(s.dev, O_RDWR);
    REQUIRE(fd.ok());
    REQUIRE(::pwrite(fd->get(), "X", 1, (1 << 20) + 5000) == 1);
  }
  auto saved = loader::savecore_device(s.dev, s.tmp.path + "/crash", true);
  CHECK(saved.kind == loader::SavecoreResult::kFailed);
  CHECK_THAT(saved.detail, Catch::Contains("vmcore.flat") && Catch::Contains("SHA-256"));
  CHECK(!path_exists(s.tmp.path + "/crash"));
  CHECK(s.header().header.state == RawState::kCommitted);
}

TEST_CASE("raw target: a stream that outgrows the device fails cleanly", "[raw]") {
  Scenario s(8ULL << 20);  // 1 MiB offset + 4 MiB trailer reserve leave 3 MiB
  s.dump = fake_dump(5 << 20);
  // The space check is told the truth but the estimate was wrong: the write runs out.
  s.level_asked = 31;
  auto r = [&] {
    agent::RawCaptureJob j;
    j.target.device = s.dev;
    j.target_text = "raw:x";
    j.clock = fake_clock();
    j.dir_name = "host-full";
    j.dmesg = &s.dmesg;
    j.metadata = &s.metadata;
    j.check_space = [](const Result<uint64_t>&) {
      agent::SpaceCheck c;
      c.chosen_level = 31;
      return c;
    };
    j.write_dump = [&](dump::Sink& sink, int) { return write_fake_dump(sink, s.dump); };
    j.console_log = [] { return std::string("log\n"); };
    j.final_metadata = [](const agent::TargetAttempt& a) { return "{\"detail\": \"" + a.detail + "\"}\n"; };
    return agent::save_to_raw(j);
  }();
  CHECK(r.kind == agent::RawCaptureResult::kLogOnly);
  CHECK_THAT(r.detail, Catch::Contains("no space left"));
  CHECK(!s.metadata.complete);
  auto saved = loader::savecore_device(s.dev, s.tmp.path + "/crash", false);
  CHECK(saved.kind == loader::SavecoreResult::kLogOnly);
  CHECK(read_all(saved.directory + "/vmcore-dmesg.txt") == s.dmesg);
  CHECK(s.header().header.state == RawState::kCommitted);  // --keep-header
}

TEST_CASE("raw target: a device that never appears", "[raw]") {
  agent::CaptureMetadata m;
  agent::RawCaptureJob j;
  j.target.device = "/dev/kdk-no-such-raw";
  j.device_timeout = std::chrono::seconds(2);
  j.clock = fake_clock();
  j.metadata = &m;
  auto r = agent::save_to_raw(j);
  CHECK(r.kind == agent::RawCaptureResult::kFailed);
  CHECK_THAT(r.detail, Catch::Contains("did not appear"));
}
