// Corrupted vmcores: a damaged copy of the idle fixture through the real
// engine. The rule under test (DESIGN.md §4): a crashed kernel's memory can
// be corrupt; the engine never crashes or hangs, keeps a page when in doubt,
// records the damage and still delivers the dump. Outside the damage the
// pfn set stays makedumpfile's on the undamaged vmcore (-l -d 31).
//
// Each case copies the fixture (~1 s), damages the copy and runs the dump
// (or the kernel log reader) in a child process with a hard timeout.
#include <algorithm>

#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "engine/arch/x86_64/x86_64_kernel_memory.h"
#include "engine/dmesg/printk_layout.h"
#include "engine/dmesg/vmcore_dmesg.h"
#include "engine/kernel/sparse_mem.h"
#include "fault_fixture.h"

using namespace kdk;
using namespace kdk::faults;

namespace {

constexpr int kTimeout = 60;  // seconds per engine run (a clean one takes < 1 s)

std::string damage_text(const DumpRun& r) {
  std::string s;
  for (const auto& d : r.damage) s += d.what + "\n";
  return s;
}

// bitmap2 differences against makedumpfile's d31 outside `skip`.
void check_outside(const DumpRun& run, const Fixture& fx, const std::function<bool(uint64_t)>& skip) {
  uint64_t total = 0;
  auto diff = bitmap2_differences(run.output, fx.mdf_dir + "/d31.kdump", skip, 16, &total);
  INFO("first differing pfns (of " << total << "):");
  for (uint64_t p : diff) INFO(std::hex << "0x" << p);
  CHECK(total == 0);
}

}  // namespace

TEST_CASE("faults: garbage over part of the struct page array", "[faults][oracle]") {
  auto fx = idle_fixture();
  if (!fx) return;
  TempDir dir;
  std::string copy = copy_vmcore(fx->vmcore, dir);

  // pfns [first, first + count): 64-aligned so that their struct pages
  // (64 bytes each) fill whole vmemmap pages. In the lower half of RAM,
  // where the idle guest has free (excluded) and kept pages.
  constexpr uint64_t kCount = 2048;
  uint64_t garbage_first = 0;
  {
    Model m = Model::open(fx->vmcore);
    garbage_first = pfn_inside_largest_load(m.core, 0.3, 64, kCount + 1024);
    auto map = kernel::SparseMemMap::load(*m.mem, m.core.info(), m.phys->max_pfn());
    REQUIRE(map.ok());
    uint32_t size = map->geometry().page_struct_size;
    REQUIRE(size == 64);
    std::mt19937_64 rng(20240611);
    std::vector<uint8_t> garbage(4096);
    for (uint64_t pfn = garbage_first; pfn < garbage_first + kCount; pfn += 4096 / size) {
      uint64_t va = map->page_address(pfn);
      REQUIRE(va != 0);
      for (size_t i = 0; i < garbage.size(); i += 8) {
        uint64_t v = rng();
        std::memcpy(&garbage[i], &v, 8);
      }
      m.overwrite_virt(copy, va, garbage.data(), garbage.size());
    }
  }

  DumpRun run = run_dump_child(copy, dir, 31, dump::DumpFormat::kdump, kTimeout);
  INFO(run.describe());
  REQUIRE(run.child.finished);
  REQUIRE(run.ok);
  // Garbage that looks like valid flags cannot be told from valid flags: the
  // garbage pfns are classified from it. Bounded, though: nothing past the
  // largest buddy block (MAX_ORDER - 1 = 10 on 6.1: 1024 pfns) after the
  // damaged range is affected, and before it nothing at all.
  check_outside(run, *fx,
                [&](uint64_t pfn) { return pfn >= garbage_first && pfn < garbage_first + kCount + 1024; });
  // Garbage with impossible values (a buddy page of an order past
  // MAX_ORDER) is recorded, within the garbage; random bytes rarely make
  // one (the buddy marker is a 32-bit magic), so no damage is fine too.
  for (const auto& d : run.damage) {
    CHECK(d.start_pfn >= garbage_first);
    CHECK(d.end_pfn <= garbage_first + kCount);
  }
}

TEST_CASE("faults: a page-table loop under the vmemmap", "[faults][oracle]") {
  auto fx = idle_fixture();
  if (!fx) return;
  TempDir dir;
  std::string copy = copy_vmcore(fx->vmcore, dir);

  // The struct pages of a section-aligned pfn in the middle of RAM (taken
  // from the fixture's own layout: where the crashkernel hole lies changes
  // from boot to boot): the 2 MiB vmemmap page (or 4 KiB page table)
  // mapping them gets an entry pointing back at its own table, so that a
  // walk through it would go round.
  uint64_t looped_pfn = 0;
  uint64_t section_first = 0, section_pages = 0;
  {
    Model m = Model::open(fx->vmcore);
    looped_pfn = pfn_inside_largest_load(m.core, 0.5, 32768, 32768);
    auto x86 = arch::x86_64::X86_64KernelMemory::create(m.core, *m.phys);
    REQUIRE(x86.ok());
    auto map = kernel::SparseMemMap::load(*m.mem, m.core.info(), m.phys->max_pfn());
    REQUIRE(map.ok());
    section_pages = map->pages_per_section();
    section_first = looped_pfn / section_pages * section_pages;
    uint64_t va = map->page_address(looped_pfn);
    REQUIRE(va != 0);
    const uint64_t mask = 0x000ffffffffff000ULL;
    uint64_t table = (*x86)->layout().top_table_phys & mask;
    int levels = (*x86)->layout().levels;
    bool done = false;
    for (int shift = levels == 5 ? 48 : 39; shift >= 21 && !done; shift -= 9) {
      uint64_t entry_addr = table + ((va >> shift) & 511) * 8;
      uint64_t entry = read_at<uint64_t>(fx->vmcore, file_offset(m.core, entry_addr));
      REQUIRE((entry & 1) == 1);
      bool leaf = (entry & (1ULL << 7)) != 0;
      if (shift == 21) {
        // The PMD entry for this 2 MiB of vmemmap: a table pointer to its
        // own table (present, writable, not a large page).
        uint64_t looped = (table & mask) | 0x63;
        overwrite_phys(copy, m.core, entry_addr, &looped, sizeof looped);
        done = true;
      }
      if (!done) REQUIRE(!leaf);
      table = entry & mask;
    }
    REQUIRE(done);
  }

  DumpRun run = run_dump_child(copy, dir, 31, dump::DumpFormat::kdump, kTimeout);
  INFO(run.describe());
  REQUIRE(run.child.finished);
  REQUIRE(run.ok);
  // The struct pages behind the loop are unreadable: their pfns (2 MiB of
  // vmemmap = 32768 struct pages) are kept and recorded.
  uint64_t first = looped_pfn / 32768 * 32768;
  bool recorded = false;
  for (const auto& d : run.damage) {
    if (d.start_pfn <= looped_pfn && looped_pfn < d.end_pfn && d.what.find("loop") != std::string::npos)
      recorded = true;
  }
  INFO(damage_text(run));
  CHECK(recorded);
  auto out = dump::KdumpFile::open(run.output);
  REQUIRE(out.ok());
  for (uint64_t pfn = first; pfn < first + 32768; ++pfn) {
    if (!out->in_bitmap1(pfn)) continue;
    // Kept, unless the content check found a zero page (level 31 has bit 1).
    if (!out->in_bitmap2(pfn)) {
      std::vector<uint8_t> page(4096), zero(4096);
      auto m = Model::open(fx->vmcore);
      REQUIRE(m.phys->read_page(pfn, page.data()).ok());
      INFO("pfn 0x" << std::hex << pfn);
      REQUIRE(page == zero);
    }
  }
  check_outside(run, *fx, [&](uint64_t pfn) { return run.damaged(pfn); });
  (void)section_first;
}

TEST_CASE("faults: a truncated vmcore", "[faults][oracle]") {
  auto fx = idle_fixture();
  if (!fx) return;
  TempDir dir;
  std::string copy = copy_vmcore(fx->vmcore, dir);

  // Cut the file at 5/8 of the largest PT_LOAD (taken from the fixture's
  // own layout): everything above is missing, including what the kernel
  // allocated high (on this guest: the vmemmap struct pages and some page
  // tables).
  // The cut lies in the largest PT_LOAD's own bytes, above every other
  // PT_LOAD that copies part of its RAM (the kernel text's, first in the
  // file): where KASLR put the kernel must not move the cut to the file's
  // first megabytes, nor leave RAM above the cut that the text copy still holds.
  uint64_t cut_phys = 0;
  uint64_t cut = 0, ram_end = 0;
  // RAM above the cut that a whole PT_LOAD below the cut still holds: the
  // kernel text's copy when KASLR put the kernel in another segment than the
  // largest (on a guest with crashkernel=, RAM is two segments around it).
  std::vector<std::pair<uint64_t, uint64_t>> held;
  {
    Model m = Model::open(fx->vmcore);
    const auto big = largest_load(m.core);
    cut_phys = pfn_inside_largest_load(m.core, 0.625, 256, 256) * 4096;
    for (const auto& s : m.core.layout().loads) {
      const bool copy_of_big = s.phys_addr != big.phys_addr && s.phys_addr < big.phys_addr + big.file_size &&
                               s.phys_addr >= big.phys_addr;
      if (copy_of_big && s.phys_addr + s.file_size > cut_phys)
        cut_phys = (s.phys_addr + s.file_size + (256 * 4096 - 1)) / (256 * 4096) * (256 * 4096);
    }
    REQUIRE(cut_phys + 256 * 4096 <= big.phys_addr + big.file_size);
    cut = big.file_offset + (cut_phys - big.phys_addr);
    ram_end = m.phys->max_pfn();
    for (const auto& s : m.core.layout().loads)
      if (s.file_offset + s.file_size <= cut) held.emplace_back(s.phys_addr / 4096, (s.phys_addr + s.file_size) / 4096);
  }
  auto is_held = [&](uint64_t pfn) {
    return std::any_of(held.begin(), held.end(), [&](const auto& h) { return pfn >= h.first && pfn < h.second; });
  };
  REQUIRE(::truncate(copy.c_str(), static_cast<off_t>(cut)) == 0);
  const uint64_t cut_pfn = cut_phys / 4096;

  for (auto format : {dump::DumpFormat::kdump, dump::DumpFormat::elf}) {
    DumpRun run = run_dump_child(copy, dir, 31, format, kTimeout);
    INFO(run.describe());
    REQUIRE(run.child.finished);
    REQUIRE(run.ok);
    // The missing part is recorded, by name, from the cut on.
    auto truncated = [&](uint64_t pfn) {
      for (const auto& d : run.damage)
        if (pfn >= d.start_pfn && pfn < d.end_pfn && d.what.find("truncated") != std::string::npos)
          return true;
      return false;
    };
    INFO(damage_text(run));
    CHECK(truncated(cut_pfn));
    if (format != dump::DumpFormat::kdump) continue;
    // Missing pages are RAM (bitmap1) but not dumped (bitmap2): a reader
    // says "excluded" rather than showing made-up zeros. Pages another
    // PT_LOAD still holds are not missing, and not recorded as such.
    auto out = dump::KdumpFile::open(run.output);
    REQUIRE(out.ok());
    uint64_t dumped_missing = 0, ram_missing = 0, unrecorded = 0, held_recorded = 0;
    for (uint64_t pfn = cut_pfn; pfn < ram_end; ++pfn) {
      if (!out->in_bitmap1(pfn)) continue;
      if (is_held(pfn)) {
        held_recorded += truncated(pfn);
        continue;
      }
      ++ram_missing;
      dumped_missing += out->in_bitmap2(pfn);
      unrecorded += !truncated(pfn);
    }
    CHECK(ram_missing > 0);
    CHECK(dumped_missing == 0);
    CHECK(unrecorded == 0);
    CHECK(held_recorded == 0);
    // What is below the cut is dumped: every pfn makedumpfile dumps there is
    // dumped (pages whose struct page was lost are kept, so more is fine).
    auto theirs = dump::KdumpFile::open(fx->mdf_dir + "/d31.kdump");
    REQUIRE(theirs.ok());
    uint64_t lost = 0;
    for (uint64_t pfn = 0; pfn < cut_pfn; ++pfn) lost += theirs->in_bitmap2(pfn) && !out->in_bitmap2(pfn);
    CHECK(lost == 0);
    // Where nothing was damaged, the pfn set is makedumpfile's.
    check_outside(run, *fx, [&](uint64_t pfn) { return pfn >= cut_pfn || run.damaged(pfn); });
  }
}

namespace {

// The VMCOREINFO note header's offset in the vmcore file.
uint64_t vmcoreinfo_note_offset(const std::string& path) {
  auto core = vmcore::VmcoreFile::open(path);
  REQUIRE(core.ok());
  size_t at = 0;
  for (const auto& seg : core->layout().notes) {
    auto notes = vmcore::parse_notes(std::span<const uint8_t>(core->notes_blob()).subspan(at, seg.size));
    REQUIRE(notes.ok());
    for (const auto& n : *notes)
      if (n.name == "VMCOREINFO") return seg.file_offset + n.offset;
    at += seg.size;
  }
  FAIL("no VMCOREINFO note");
  return 0;
}

// With no usable VMCOREINFO nothing can be classified: every RAM page is
// kept, zero pages aside (found by content, as at level 1): makedumpfile's
// -d 1 pfn set. The reason is recorded over all of memory.
void check_degraded(const DumpRun& run, const Fixture& fx, const std::string& reason) {
  INFO(run.describe());
  REQUIRE(run.child.finished);
  REQUIRE(run.ok);
  REQUIRE(!run.damage.empty());
  CHECK(run.damage[0].start_pfn == 0);
  CHECK(run.damage[0].what.find(reason) != std::string::npos);
  auto out = dump::KdumpFile::open(run.output);
  REQUIRE(out.ok());
  auto ranges = read_ranges(fx.mdf_dir + "/d1.dumped");
  uint64_t expected = 0, missing = 0;
  for (auto [a, b] : ranges) {
    for (uint64_t pfn = a; pfn <= b; ++pfn) {
      ++expected;
      missing += !out->in_bitmap2(pfn);
    }
  }
  CHECK(missing == 0);
  CHECK(out->dumpable_count() == expected);
}

}  // namespace

TEST_CASE("faults: a note running past its segment", "[faults][oracle]") {
  auto fx = idle_fixture();
  if (!fx) return;
  TempDir dir;
  std::string copy = copy_vmcore(fx->vmcore, dir);
  uint64_t note = vmcoreinfo_note_offset(fx->vmcore);
  uint32_t descsz = 0x7ffffff0;
  overwrite(copy, note + 4, &descsz, sizeof descsz);

  DumpRun run = run_dump_child(copy, dir, 31, dump::DumpFormat::kdump, kTimeout);
  // The walk stops at the bad note (named by its offset); the notes before
  // it stay, VMCOREINFO is lost: a degraded dump.
  check_degraded(run, *fx, "VMCOREINFO");
  bool named = false;
  for (const auto& d : run.damage)
    if (d.what.find("runs past") != std::string::npos && d.what.find("offset 0x") != std::string::npos)
      named = true;
  INFO(damage_text(run));
  CHECK(named);
}

TEST_CASE("faults: no VMCOREINFO note", "[faults][oracle]") {
  auto fx = idle_fixture();
  if (!fx) return;
  TempDir dir;
  std::string copy = copy_vmcore(fx->vmcore, dir);
  uint64_t note = vmcoreinfo_note_offset(fx->vmcore);
  overwrite(copy, note + 12, "VMCOREINFX", 10);  // another owner's note

  DumpRun run = run_dump_child(copy, dir, 31, dump::DumpFormat::kdump, kTimeout);
  check_degraded(run, *fx, "no VMCOREINFO");

  // The kernel log needs VMCOREINFO: a clear error, quickly.
  ChildRun log = run_child(
      [&](const std::string& report) {
        auto r = dmesg::read_vmcore_kernel_log(copy);
        FILE* f = std::fopen(report.c_str(), "w");
        std::fprintf(f, "%s\n", r.ok() ? "ok" : r.error().message.c_str());
        std::fclose(f);
        return r.ok() ? 0 : 1;
      },
      kTimeout, dir);
  INFO(log.report);
  REQUIRE(log.finished);
  CHECK(log.exit_code == 1);
  CHECK(log.report.find("VMCOREINFO") != std::string::npos);
}

TEST_CASE("faults: a printk ring whose descriptors go round", "[faults][oracle]") {
  auto fx = idle_fixture();
  if (!fx) return;
  TempDir dir;
  std::string copy = copy_vmcore(fx->vmcore, dir);

  size_t intact_records = 0;
  {
    Model m = Model::open(fx->vmcore);
    auto intact = dmesg::read_vmcore_kernel_log(fx->vmcore);
    REQUIRE(intact.ok());
    REQUIRE(!intact->damaged());
    intact_records = intact->records();
    auto l = dmesg::ringbuffer_layout(m.core.info());
    REQUIRE(l.ok());
    auto prb = m.mem->read_value<uint64_t>(l->prb);
    REQUIRE(prb.ok());
    std::vector<uint8_t> header(l->ringbuffer_size);
    REQUIRE(m.mem->read(*prb, header.data(), header.size()).ok());
    uint64_t count = 1ULL << (dmesg::field_value(header, l->count_bits) & 0xffffffff);
    uint64_t descs = dmesg::field_value(header, l->descs);
    uint64_t head = dmesg::field_value(header, l->head_id);
    // tail one past head: the ring claims every id there is, all the way round.
    uint64_t tail = head + 1;
    m.overwrite_virt(copy, *prb + l->tail_id.offset, &tail, 8);
    // Every descriptor claims its id, finalized, with the same text block as
    // the head's: the same record over and over.
    std::vector<uint8_t> desc(l->desc_size);
    uint64_t head_desc = descs + (head % count) * l->desc_size;
    REQUIRE(m.mem->read(head_desc, desc.data(), desc.size()).ok());
    uint64_t begin = dmesg::field_value(desc, l->lpos_begin), next = dmesg::field_value(desc, l->lpos_next);
    for (uint64_t k = 0; k < count; ++k) {
      uint64_t id = head - k;
      uint64_t addr = descs + (id % count) * l->desc_size;
      uint64_t state = (2ULL << 62) | (id & ((1ULL << 62) - 1));
      std::memcpy(desc.data() + l->state_var.offset, &state, 8);
      std::memcpy(desc.data() + l->lpos_begin.offset, &begin, 8);
      std::memcpy(desc.data() + l->lpos_next.offset, &next, 8);
      m.overwrite_virt(copy, addr, desc.data(), desc.size());
    }
  }

  ChildRun log = run_child(
      [&](const std::string& report) {
        auto r = dmesg::read_vmcore_kernel_log(copy);
        FILE* f = std::fopen(report.c_str(), "w");
        if (!r) {
          std::fprintf(f, "error %s\n", r.error().message.c_str());
        } else {
          std::fprintf(f, "records %zu\ntext %zu\ndamage %s\n", r->records(), r->text().size(),
                       r->damage_summary().c_str());
        }
        std::fclose(f);
        return r.ok() ? 0 : 1;
      },
      kTimeout, dir);
  INFO(log.report);
  REQUIRE(log.finished);
  CHECK(log.seconds < 10);
  REQUIRE(log.exit_code == 0);
  CHECK(log.report.find("damage \n") == std::string::npos);    // damage recorded
  CHECK(log.report.find("records 0\n") == std::string::npos);  // what was read is returned

  // `kdumpkit dmesg` writes what it read, then fails naming the damage.
  ChildRun cli = run_child(
      [&](const std::string& report) {
        dmesg::DmesgRequest req;
        req.vmcore = copy;
        req.output = dir.file("dmesg.txt");
        auto s = dmesg::run_dmesg(req);
        FILE* f = std::fopen(report.c_str(), "w");
        std::fprintf(f, "%s\n", s.ok() ? "ok" : s.error().message.c_str());
        std::fclose(f);
        return s.ok() ? 0 : 1;
      },
      kTimeout, dir);
  INFO(cli.report);
  REQUIRE(cli.finished);
  CHECK(cli.exit_code == 1);
  CHECK(cli.report.find("damaged") != std::string::npos);
  CHECK(path_exists(dir.file("dmesg.txt")));
  (void)intact_records;
}

TEST_CASE("faults: a PT_LOAD whose p_memsz claims 2^50 bytes", "[faults][oracle]") {
  auto fx = idle_fixture();
  if (!fx) return;
  TempDir dir;
  std::string copy = copy_vmcore(fx->vmcore, dir);
  // The largest PT_LOAD's p_memsz (its program header's bytes 40..47) set to
  // 1 PiB: a dump that believed it would stream zeros for days.
  uint64_t memsz_offset = 0, ram_end_pfn = 0;
  {
    Model m = Model::open(fx->vmcore);
    auto big = largest_load(m.core);
    const auto& headers = m.core.layout().headers;
    for (size_t i = 0; i < headers.size(); ++i) {
      if (headers[i].type == vmcore::kPtLoad && headers[i].paddr == big.phys_addr)
        memsz_offset = m.core.layout().phoff + i * vmcore::kProgramHeaderSize + 40;
    }
    ram_end_pfn = m.phys->max_pfn();
  }
  REQUIRE(memsz_offset != 0);
  const uint64_t huge = 1ULL << 50;
  overwrite(copy, memsz_offset, &huge, sizeof huge);

  TempDir clean_dir;
  DumpRun clean = run_dump_child(fx->vmcore, clean_dir, 31, dump::DumpFormat::kdump, kTimeout);
  REQUIRE(clean.ok);
  for (auto format : {dump::DumpFormat::kdump, dump::DumpFormat::elf}) {
    CAPTURE(static_cast<int>(format));
    DumpRun run = run_dump_child(copy, dir, 31, format, kTimeout);
    INFO(run.describe());
    REQUIRE(run.child.finished);
    REQUIRE(run.ok);
    // Bounded: no longer than twice the clean dump plus a second.
    CHECK(run.child.seconds <= 2 * clean.child.seconds + 1);
    INFO(damage_text(run));
    bool recorded = false;
    for (const auto& d : run.damage) recorded |= d.what.find("implausible PT_LOAD") != std::string::npos;
    CHECK(recorded);
    if (format != dump::DumpFormat::kdump) continue;
    // The dump covers the machine's memory (to the end of its last memory
    // section, 128 MiB on x86-64), not the claim.
    auto out = dump::KdumpFile::open(run.output);
    REQUIRE(out.ok());
    constexpr uint64_t kSectionPfns = 1 << 15;
    CHECK(out->max_mapnr() <= (ram_end_pfn + kSectionPfns - 1) / kSectionPfns * kSectionPfns);
    check_outside(run, *fx, [&](uint64_t pfn) { return run.damaged(pfn); });
  }
}
