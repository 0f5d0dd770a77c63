// A small ELF vmcore generated on the fly for the dump writer tests, and a
// page filter that excludes known pfn runs on top of the PT_LOAD layout.
//
// Layout (4 KiB pages):
//   LOAD0 pfn 1 .. 600.5   (the last page is partial: not RAM for bitmaps)
//   LOAD1 pfn 1000 .. 1900 (file bytes only up to pfn 1800: a no-data tail)
//   LOAD2 pfn 100000 .. 100016 (far away: several cycles with a tiny budget)
// Page contents by pfn % 7: 0 zero, 1 random (incompressible), else text.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/dump/ram_filter.h"
#include "engine/format/page_filter.h"
#include "util/fd.h"

namespace kdk::dump::test {

inline constexpr uint64_t kPs = 4096;

struct FakeLoad {
  uint64_t paddr, memsz, filesz;
};

inline std::vector<FakeLoad> fake_loads() {
  return {{1 * kPs, 599 * kPs + 0x800, 599 * kPs + 0x800},
          {1000 * kPs, 900 * kPs, 800 * kPs},
          {100000 * kPs, 16 * kPs, 16 * kPs}};
}

inline void fake_page(uint64_t pfn, uint8_t* out) {
  switch (pfn % 7) {
    case 0:
      std::memset(out, 0, kPs);
      break;
    case 1: {
      uint64_t x = pfn * 0x9E3779B97F4A7C15ULL + 1;
      for (size_t i = 0; i < kPs; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::memcpy(out + i, &x, 8);
      }
      break;
    }
    default:
      for (size_t i = 0; i < kPs; ++i)
        out[i] = static_cast<uint8_t>("page frame "[i % 11] + (pfn % 5) * (i % 3 == 0));
      std::memcpy(out, &pfn, sizeof pfn);
  }
}

inline std::string vmcoreinfo_text() {
  return "OSRELEASE=6.1.0-test-amd64\nPAGESIZE=4096\nNUMBER(phys_base)=123456\nCRASHTIME=1700000000\n";
}

inline void put_note(std::vector<uint8_t>& b, const char* name, uint32_t type, const std::string& desc) {
  uint32_t namesz = static_cast<uint32_t>(std::strlen(name) + 1), descsz = static_cast<uint32_t>(desc.size());
  auto put32 = [&](uint32_t v) {
    b.insert(b.end(), reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 4);
  };
  put32(namesz);
  put32(descsz);
  put32(type);
  b.insert(b.end(), name, name + namesz);
  while (b.size() % 4) b.push_back(0);
  b.insert(b.end(), desc.begin(), desc.end());
  while (b.size() % 4) b.push_back(0);
}

inline std::vector<uint8_t> fake_notes() {
  std::vector<uint8_t> b;
  put_note(b, "CORE", 1, std::string(336, '\1'));
  put_note(b, "CORE", 1, std::string(336, '\2'));
  put_note(b, "VMCOREINFO", 0, vmcoreinfo_text());
  return b;
}

// A temporary directory removed with its files at scope exit.
struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/kdk-dump-test-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { (void)!system(("rm -rf " + path).c_str()); }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

inline void write_fake_vmcore(const std::string& path) {
  auto loads = fake_loads();
  auto notes = fake_notes();
  std::vector<uint8_t> f(64 + 56 * (1 + loads.size()), 0);
  const uint64_t note_off = 0x1000;
  uint64_t data_off = note_off + kPs;
  uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
  std::memcpy(f.data(), ident, 16);
  auto put = [&](size_t at, auto v) { std::memcpy(f.data() + at, &v, sizeof v); };
  put(16, uint16_t{4});   // ET_CORE
  put(18, uint16_t{62});  // EM_X86_64
  put(20, uint32_t{1});
  put(32, uint64_t{64});
  put(52, uint16_t{64});
  put(54, uint16_t{56});
  put(56, static_cast<uint16_t>(1 + loads.size()));
  put(64, uint32_t{4});
  put(64 + 8, note_off);
  put(64 + 32, static_cast<uint64_t>(notes.size()));
  put(64 + 40, static_cast<uint64_t>(notes.size()));
  std::vector<std::pair<uint64_t, const FakeLoad*>> placed;
  for (size_t i = 0; i < loads.size(); ++i) {
    size_t p = 64 + 56 * (i + 1);
    put(p, uint32_t{1});
    put(p + 4, uint32_t{7});
    put(p + 8, data_off);
    put(p + 16, 0xffff888000000000ULL + loads[i].paddr);
    put(p + 24, loads[i].paddr);
    put(p + 32, loads[i].filesz);
    put(p + 40, loads[i].memsz);
    placed.push_back({data_off, &loads[i]});
    data_off += (loads[i].filesz + kPs - 1) / kPs * kPs;
  }
  f.resize(data_off, 0);
  std::memcpy(f.data() + note_off, notes.data(), notes.size());
  std::vector<uint8_t> page(kPs);
  for (auto& [off, l] : placed) {
    for (uint64_t b = 0; b < l->filesz; b += kPs) {
      fake_page((l->paddr + b) / kPs, page.data());
      std::memcpy(f.data() + off + b, page.data(), std::min<uint64_t>(kPs, l->filesz - b));
    }
  }
  auto fd = open_fd(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  (void)write_all(fd->get(), f.data(), f.size(), path);
}

// Layout bitmaps, then excluded: [200, 300) (a short run, kept in ELF),
// [1100, 1400) (a long run, split in ELF) and every pfn % 11 == 3.
class FakeFilter final : public PageFilter {
 public:
  FakeFilter(std::vector<ElfPhdr> phdrs, uint64_t max_pfn) : phdrs_(std::move(phdrs)), max_(max_pfn) {}
  static bool excluded(uint64_t pfn) {
    return (pfn >= 200 && pfn < 300) || (pfn >= 1100 && pfn < 1400) || pfn % 11 == 3;
  }
  Status filter(uint64_t start, uint64_t end, PfnBitmap& ram, PfnBitmap& dumpable) override {
    fill_layout_bitmaps(phdrs_, kPs, start, end, ram, dumpable);
    for (uint64_t pfn = start; pfn < end; ++pfn) {
      if (excluded(pfn)) dumpable.clear(pfn);
    }
    ++calls;
    return {};
  }
  uint64_t max_pfn() const override { return max_; }
  FilterCounts& counts() override { return counts_; }
  const std::vector<Damage>& damage() const override { return damage_; }
  int calls = 0;

 private:
  std::vector<ElfPhdr> phdrs_;
  uint64_t max_;
  FilterCounts counts_;
  std::vector<Damage> damage_;
};

}  // namespace kdk::dump::test

#include <fcntl.h>

#include <memory>
#include <optional>

#include "engine/dump/dump_input.h"
#include "engine/dump/elf_writer.h"
#include "engine/dump/kdump_writer.h"
#include "engine/dump/sink.h"

namespace kdk::dump::test {

inline std::vector<uint8_t> slurp(const std::string& path) {
  auto s = read_file(path);
  return std::vector<uint8_t>(s->begin(), s->end());
}

// The fake vmcore opened as the dump engine sees it.
struct FakeDump {
  TempDir dir;
  std::string vmcore_path = dir.file("vmcore");
  std::optional<vmcore::VmcoreFile> core;
  std::unique_ptr<VmcorePageSource> pages;
  DumpInput in;

  FakeDump() {
    write_fake_vmcore(vmcore_path);
    auto c = vmcore::VmcoreFile::open(vmcore_path);
    if (!c) throw std::runtime_error(c.error().message);
    core.emplace(std::move(*c));
    pages = std::make_unique<VmcorePageSource>(*core, kPs);
    auto i = dump_input_from_vmcore(*core, *pages);
    if (!i) throw std::runtime_error(i.error().message);
    in = std::move(*i);
  }

  enum class Kind { kdump, elf };
  // Writes with a FakeFilter to `name` (flattened when `flat`); returns the path.
  std::string write(Kind kind, const WriteOptions& o, const std::string& name, bool flat = false,
                    DumpStats* stats = nullptr) {
    std::string path = dir.file(name);
    auto fd = open_fd(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (!fd) throw std::runtime_error(fd.error().message);
    FakeFilter filter(in.phdrs, in.max_mapnr);
    FileSink file(fd->get(), path);
    FlatSink stream(fd->get(), path, 64 << 10);
    Sink& sink = flat ? static_cast<Sink&>(stream) : static_cast<Sink&>(file);
    auto r = kind == Kind::kdump ? write_kdump(in, filter, o, sink) : write_elf(in, filter, o, sink);
    if (!r) throw std::runtime_error(r.error().message);
    if (auto s = sink.finish(); !s) throw std::runtime_error(s.error().message);
    if (stats) *stats = *r;
    return path;
  }
};

inline bool fake_ram(uint64_t pfn) {
  return (pfn >= 1 && pfn < 600) || (pfn >= 1000 && pfn < 1900) || (pfn >= 100000 && pfn < 100016);
}
inline bool fake_dumpable(uint64_t pfn) {
  return fake_ram(pfn) && !(pfn >= 1800 && pfn < 1900) && !FakeFilter::excluded(pfn);
}

}  // namespace kdk::dump::test
