#include <fcntl.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "fake_vmcore.h"

using namespace kdk::dump;
using namespace kdk::dump::test;

namespace {

int64_t be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return static_cast<int64_t>(v);
}

}  // namespace

TEST_CASE("flattened stream: big-endian header and records that rebuild the file", "[dump]") {
  FakeDump f;
  WriteOptions o;
  o.dump_level = 1;
  o.compression = Compression::zlib;
  auto regular = slurp(f.write(FakeDump::Kind::kdump, o, "out.kdump"));
  auto flat = slurp(f.write(FakeDump::Kind::kdump, o, "out.flat", true));

  REQUIRE(flat.size() > 4096 + 16);
  CHECK(std::memcmp(flat.data(), "makedumpfile\0\0\0\0", 16) == 0);
  CHECK(be64(flat.data() + 16) == 1);  // type
  CHECK(be64(flat.data() + 24) == 1);  // version
  CHECK(std::all_of(flat.begin() + 32, flat.begin() + 4096, [](uint8_t b) { return b == 0; }));

  // Walk the records and rebuild by hand.
  std::vector<uint8_t> rebuilt;
  size_t at = 4096;
  bool ended = false;
  while (at + 16 <= flat.size()) {
    int64_t off = be64(flat.data() + at), size = be64(flat.data() + at + 8);
    at += 16;
    if (off == -1 && size == -1) {
      ended = true;
      break;
    }
    REQUIRE(off >= 0);
    REQUIRE(size > 0);
    REQUIRE(at + static_cast<size_t>(size) <= flat.size());
    if (rebuilt.size() < static_cast<size_t>(off + size)) rebuilt.resize(static_cast<size_t>(off + size));
    std::memcpy(rebuilt.data() + off, flat.data() + at, static_cast<size_t>(size));
    at += static_cast<size_t>(size);
  }
  CHECK(ended);
  CHECK(at == flat.size());
  CHECK(rebuilt == regular);

  // reassemble(flatten(x)) == x, byte for byte.
  auto in = kdk::open_fd(f.dir.file("out.flat"), O_RDONLY);
  auto out = kdk::open_fd(f.dir.file("rebuilt"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  REQUIRE(reassemble_flat(in->get(), "out.flat", out->get(), "rebuilt").ok());
  CHECK(slurp(f.dir.file("rebuilt")) == regular);
}

TEST_CASE("flattened ELF output reassembles to the regular ELF", "[dump]") {
  FakeDump f;
  WriteOptions o;
  o.dump_level = 1;
  auto regular = slurp(f.write(FakeDump::Kind::elf, o, "out.elf"));
  f.write(FakeDump::Kind::elf, o, "out.elf.flat", true);
  auto in = kdk::open_fd(f.dir.file("out.elf.flat"), O_RDONLY);
  auto out = kdk::open_fd(f.dir.file("rebuilt"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  REQUIRE(reassemble_flat(in->get(), "flat", out->get(), "rebuilt").ok());
  CHECK(slurp(f.dir.file("rebuilt")) == regular);
}

TEST_CASE("reassemble rejects bad streams", "[dump]") {
  TempDir dir;
  auto check = [&](const std::vector<uint8_t>& bytes, const char* expect) {
    REQUIRE(kdk::write_file(dir.file("in"), std::string(bytes.begin(), bytes.end())).ok());
    auto in = kdk::open_fd(dir.file("in"), O_RDONLY);
    auto out = kdk::open_fd(dir.file("out"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    auto s = reassemble_flat(in->get(), "in", out->get(), "out");
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.error().message, Catch::Contains(expect));
  };
  std::vector<uint8_t> header(4096, 0);
  std::memcpy(header.data(), "makedumpfile", 12);
  header[23] = 1;
  header[31] = 1;
  check(std::vector<uint8_t>(4096, 'x'), "signature");
  check(header, "no end record");
  auto negative = header;
  std::vector<uint8_t> rec(16, 0xff);
  rec[15] = 0x10;  // offset -1, size -240
  negative.insert(negative.end(), rec.begin(), rec.end());
  check(negative, "bad flattened record");
}
