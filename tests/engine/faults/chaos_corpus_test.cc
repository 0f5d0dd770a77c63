// The chaos corpus (issue 12, item 8): damaged copies of the idle fixture,
// generated here from fixed seeds and the fixture's own layout, each run
// through the real engine in a child process with a hard timeout: the dump
// (kdump-compressed, -d 31) and the kernel log reader, as the capture runs
// them. For each case:
//   1. the dump and the log reader end within 2 x (their clean time,
//      measured in this run) + 1 s; a hang or a signal fails;
//   2. a case that leaves a vmcore ("delivers") gives a dump libkdumpfile
//      opens and reads (attributes, the first, a middle and the last dumped
//      page, byte for byte what our own reader reads); a case that leaves no
//      vmcore at all (the ELF header or program headers gone) is a clear
//      error, never a crash;
//   3. the damage is recorded: in the dump's damage list, or (printk ring,
//      keys only the log needs) by the log reader.
// See README.md beside this file for the classes and what "delivers" means
// for each. One copy of the fixture serves every case: each damage is
// undone from the original's bytes before the next.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <random>

#include "engine/arch/x86_64/x86_64_kernel_memory.h"
#include "engine/dmesg/printk_layout.h"
#include "engine/kernel/sparse_mem.h"
#include "fault_fixture.h"
#include "tests/lib/test_env.h"

using namespace kdk;
using namespace kdk::faults;

namespace {

enum class Expect { delivers, refuses };
// Who notices the damage: the dump (its damage list), or the kernel log
// reader (an error or a damaged ring) for what only the log reads; or
// nobody, where an exact fallback loses nothing: then the dump must be the
// clean dump, byte for byte.
enum class SeenBy { dump, log, nobody };

struct CorpusCase {
  std::string cls;
  std::string name;
  FileDamage damage;
  Expect expect = Expect::delivers;
  SeenBy seen_by = SeenBy::dump;
};

constexpr int kHardTimeout = 30;  // seconds per child; the bound checked is far lower

std::vector<uint8_t> random_bytes(std::mt19937_64& rng, size_t n) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&out[i], &v, std::min<size_t>(8, n - i));
  }
  return out;
}

// The undamaged fixture as the generators see it.
struct Source {
  Model m;
  std::string path;
  uint64_t size = 0;

  // The file offset of a byte of notes_blob().
  uint64_t note_file_offset(uint64_t blob_offset) const {
    uint64_t at = 0;
    for (const auto& seg : m.core.layout().notes) {
      if (blob_offset < at + seg.size) return seg.file_offset + (blob_offset - at);
      at += seg.size;
    }
    FAIL("offset " << blob_offset << " is not in the notes");
    return 0;
  }
  // Program header i's field at byte `field` of the entry.
  uint64_t phdr_field(size_t i, size_t field) const {
    return m.core.layout().phoff + i * vmcore::kProgramHeaderSize + field;
  }
  size_t largest_load_index() const {
    auto big = largest_load(m.core);
    const auto& h = m.core.layout().headers;
    for (size_t i = 0; i < h.size(); ++i)
      if (h[i].type == vmcore::kPtLoad && h[i].paddr == big.phys_addr) return i;
    FAIL("no program header for the largest PT_LOAD");
    return 0;
  }
  std::vector<size_t> load_indexes() const {
    std::vector<size_t> out;
    const auto& h = m.core.layout().headers;
    for (size_t i = 0; i < h.size(); ++i)
      if (h[i].type == vmcore::kPtLoad) out.push_back(i);
    return out;
  }
  // Bytes at a kernel virtual address, split at page boundaries (every
  // physical copy).
  void write_virt(FileDamage& d, uint64_t va, const std::vector<uint8_t>& bytes) {
    for (size_t done = 0; done < bytes.size();) {
      size_t n = std::min<size_t>(bytes.size() - done, 4096 - (va + done) % 4096);
      d.write_phys(m.core, m.phys_of_virt(va + done), bytes.data() + done, n);
      done += n;
    }
  }
};

// ---- truncation ---------------------------------------------------------

void truncations(Source& s, std::vector<CorpusCase>& out) {
  const auto& l = s.m.core.layout();
  const uint64_t ph_end = l.phoff + l.phnum * vmcore::kProgramHeaderSize;
  uint64_t notes_first = ~0ULL, notes_end = 0, data_first = ~0ULL;
  for (const auto& n : l.notes) {
    notes_first = std::min(notes_first, n.file_offset);
    notes_end = std::max(notes_end, n.file_offset + n.size);
  }
  for (const auto& seg : l.loads) data_first = std::min(data_first, seg.file_offset);
  REQUIRE(notes_end <= data_first);
  struct Cut {
    std::string name;
    uint64_t at;
  };
  std::vector<Cut> cuts = {
      {"inside e_ident (10 bytes)", 10},
      {"inside the ELF header (40 bytes)", 40},
      {"inside the first program header", l.phoff + 20},
      {"inside the last program header", ph_end - 8},
      {"at the first note", notes_first + 6},
      {"half way through the notes", (notes_first + notes_end) / 2},
      {"one byte before the notes end", notes_end - 1},
      {"at the first PT_LOAD byte", data_first},
      {"one page and 123 bytes into the PT_LOAD data", data_first + 4096 + 123},
  };
  for (double f : {0.1, 0.25, 0.5, 0.75, 0.9, 0.999}) {
    cuts.push_back({format("at %.1f%% of the file", f * 100), static_cast<uint64_t>(s.size * f)});
  }
  cuts.push_back({"one byte short", s.size - 1});
  for (const auto& c : cuts) {
    CorpusCase k{"truncated", c.name};
    k.damage.truncate_to = c.at;
    // The ELF header and program headers are the vmcore; without them there
    // is nothing to deliver. From the notes on, what is there is delivered.
    k.expect = c.at < ph_end ? Expect::refuses : Expect::delivers;
    out.push_back(std::move(k));
  }
}

// ---- wild PT_LOAD fields ------------------------------------------------

void wild_loads(Source& s, std::vector<CorpusCase>& out) {
  const size_t big = s.largest_load_index();
  const auto& h = s.m.core.layout().headers;
  const auto& l = s.m.core.layout();
  auto one = [&](std::string name, size_t index, size_t field, uint64_t value,
                 Expect expect = Expect::delivers) {
    CorpusCase k{"wild PT_LOAD", std::move(name)};
    k.damage.write_value(s.phdr_field(index, field), value);
    k.expect = expect;
    out.push_back(std::move(k));
  };
  constexpr size_t kOffset = 8, kPaddr = 24, kFilesz = 32, kMemsz = 40;
  one("p_offset past EOF", big, kOffset, s.size + (1ULL << 30));
  one("p_offset 2^63", big, kOffset, 1ULL << 63);
  one("p_offset + p_filesz past EOF", big, kOffset, s.size - 8192);
  one("p_offset not page aligned", big, kOffset, h[big].offset + 1);
  one("p_filesz > p_memsz", big, kFilesz, h[big].memsz * 2);
  one("p_filesz 2^62", big, kFilesz, 1ULL << 62);
  one("p_memsz 2^62", big, kMemsz, 1ULL << 62);
  one("p_memsz 0", big, kMemsz, 0);
  one("p_paddr 2^64 - 4 KiB", big, kPaddr, ~0ULL - 4095);
  one("p_paddr 2^52 (past MAX_PHYSMEM_BITS)", big, kPaddr, 1ULL << 52);
  {
    CorpusCase k{"wild PT_LOAD", "p_paddr + p_memsz wraps past 2^64"};
    k.damage.write_value(s.phdr_field(big, kPaddr), ~0ULL - (1ULL << 20) + 1);
    out.push_back(std::move(k));
  }
  {
    CorpusCase k{"wild PT_LOAD", "zero-size (p_filesz = p_memsz = 0)"};
    k.damage.write_value<uint64_t>(s.phdr_field(big, kFilesz), 0);
    k.damage.write_value<uint64_t>(s.phdr_field(big, kMemsz), 0);
    out.push_back(std::move(k));
  }
  auto loads = s.load_indexes();
  REQUIRE(loads.size() >= 2);
  {
    // Every PT_LOAD claims the largest one's memory, from its own bytes.
    CorpusCase k{"wild PT_LOAD", "every PT_LOAD at the same physical address"};
    for (size_t i : loads) k.damage.write_value(s.phdr_field(i, kPaddr), h[big].paddr);
    out.push_back(std::move(k));
  }
  {
    CorpusCase k{"wild PT_LOAD", "the largest PT_LOAD overlapping its neighbours by half"};
    k.damage.write_value(s.phdr_field(big, kPaddr), h[big].paddr / 2 / 4096 * 4096);
    out.push_back(std::move(k));
  }
  {
    // No memory is left to dump at all: a clear error ("no RAM to dump").
    CorpusCase k{"wild PT_LOAD", "no PT_LOAD at all (all PT_NULL)"};
    for (size_t i : loads) k.damage.write_value<uint32_t>(s.phdr_field(i, 0), 0);
    k.expect = Expect::refuses;
    out.push_back(std::move(k));
  }
  {
    // Random physical addresses all lie past the physical address limit.
    std::mt19937_64 rng(0xc4a05);
    CorpusCase k{"wild PT_LOAD", "random bytes over every PT_LOAD header but p_type"};
    for (size_t i : loads) k.damage.write(s.phdr_field(i, 8), random_bytes(rng, 48).data(), 48);
    k.expect = Expect::refuses;
    out.push_back(std::move(k));
  }
  {
    CorpusCase k{"wild PT_LOAD", "e_phnum 65535"};
    k.damage.write_value<uint16_t>(56, 0xffff);
    out.push_back(std::move(k));
  }
  {
    CorpusCase k{"wild PT_LOAD", "e_phoff past EOF"};
    k.damage.write_value<uint64_t>(32, s.size + 4096);
    k.expect = Expect::refuses;
    out.push_back(std::move(k));
  }
  {
    // The table read 8 bytes late: no entry has a PT_LOAD type left.
    CorpusCase k{"wild PT_LOAD", "e_phoff 8 bytes off"};
    k.damage.write_value<uint64_t>(32, l.phoff + 8);
    k.expect = Expect::refuses;
    out.push_back(std::move(k));
  }
}

// ---- garbled notes ------------------------------------------------------

void garbled_notes(Source& s, std::vector<CorpusCase>& out) {
  const auto& l = s.m.core.layout();
  REQUIRE(!l.notes.empty());
  const auto seg = l.notes[0];
  // The note headers of the first PT_NOTE.
  auto notes = vmcore::parse_notes(std::span<const uint8_t>(s.m.core.notes_blob()).subspan(0, seg.size));
  REQUIRE(notes.ok());
  uint64_t vmcoreinfo_note = 0, first_prstatus = ~0ULL;
  for (const auto& n : *notes) {
    if (n.name == "VMCOREINFO") vmcoreinfo_note = seg.file_offset + n.offset;
    if (n.name == "CORE" && n.type == vmcore::kNtPrstatus && first_prstatus == ~0ULL)
      first_prstatus = seg.file_offset + n.offset;
  }
  REQUIRE(vmcoreinfo_note != 0);
  REQUIRE(first_prstatus != ~0ULL);
  size_t note_phdr = 0;
  for (size_t i = 0; i < l.headers.size(); ++i)
    if (l.headers[i].type == vmcore::kPtNote) note_phdr = i;
  for (uint64_t seed : {1, 2, 3}) {
    std::mt19937_64 rng(seed);
    CorpusCase k{"garbled notes", format("random bytes over the whole PT_NOTE (seed %llu)",
                                         static_cast<unsigned long long>(seed))};
    k.damage.write(seg.file_offset, random_bytes(rng, seg.size).data(), seg.size);
    out.push_back(std::move(k));
  }
  auto field = [&](std::string name, uint64_t at, uint32_t v) {
    CorpusCase k{"garbled notes", std::move(name)};
    k.damage.write_value(at, v);
    out.push_back(std::move(k));
  };
  const uint32_t vi_descsz = read_at<uint32_t>(s.path, vmcoreinfo_note + 4);
  field("VMCOREINFO namesz 0xffffffff", vmcoreinfo_note, 0xffffffff);
  field("VMCOREINFO descsz 0xfffffff0", vmcoreinfo_note + 4, 0xfffffff0);
  field("VMCOREINFO descsz misaligned (+3)", vmcoreinfo_note + 4, vi_descsz + 3);
  field("VMCOREINFO descsz 0", vmcoreinfo_note + 4, 0);
  field("first CPU note namesz 0x7fffffff", first_prstatus, 0x7fffffff);
  field("first CPU note descsz 1 (misaligned)", first_prstatus + 4, 1);
  {
    // A CPU note before the real VMCOREINFO renamed VMCOREINFO: its
    // registers are the first VMCOREINFO a reader finds.
    CorpusCase k{"garbled notes", "a second VMCOREINFO note (a CPU note renamed) before the real one"};
    uint32_t namesz = 11, type = 0;
    k.damage.write_value(first_prstatus, namesz);
    k.damage.write_value(first_prstatus + 8, type);
    k.damage.write(first_prstatus + 12, "VMCOREINFO\0\0", 12);
    out.push_back(std::move(k));
  }
  {
    CorpusCase k{"garbled notes", "PT_NOTE cut in the middle of VMCOREINFO"};
    uint64_t cut = vmcoreinfo_note + 24 + vi_descsz / 2 - seg.file_offset;
    k.damage.write_value(s.phdr_field(note_phdr, 32), cut);
    out.push_back(std::move(k));
  }
  {
    CorpusCase k{"garbled notes", "PT_NOTE p_filesz 0"};
    k.damage.write_value<uint64_t>(s.phdr_field(note_phdr, 32), 0);
    out.push_back(std::move(k));
  }
  {
    CorpusCase k{"garbled notes", "PT_NOTE p_offset past EOF"};
    k.damage.write_value<uint64_t>(s.phdr_field(note_phdr, 8), s.size + 4096);
    out.push_back(std::move(k));
  }
  {
    CorpusCase k{"garbled notes", "PT_NOTE p_filesz 2^40"};
    k.damage.write_value<uint64_t>(s.phdr_field(note_phdr, 32), 1ULL << 40);
    out.push_back(std::move(k));
  }
}

// ---- VMCOREINFO keys ----------------------------------------------------

struct InfoText {
  uint64_t file_offset = 0;  // of the text (the note's desc)
  size_t size = 0;
  std::vector<std::string> lines;
};

InfoText vmcoreinfo_text(Source& s) {
  InfoText t;
  t.file_offset = s.note_file_offset(s.m.core.vmcoreinfo_offset());
  t.size = s.m.core.vmcoreinfo_size();
  std::string text(reinterpret_cast<const char*>(s.m.core.notes_blob().data()) + s.m.core.vmcoreinfo_offset(),
                   t.size);
  text = text.substr(0, text.find('\0'));
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) t.lines.push_back(line);
  return t;
}

// The text with `edit` applied, written over the note's desc (NUL padded;
// never longer: lines nothing reads make room when needed).
void write_info(Source& s, CorpusCase& k, std::vector<std::string> lines) {
  InfoText t = vmcoreinfo_text(s);
  auto joined = [&] {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  };
  std::string text = joined();
  for (const char* spare : {"BUILD-ID=", "SYMBOL(_stext)=", "CRASHTIME="}) {
    if (text.size() <= t.size) break;
    lines.erase(std::remove_if(lines.begin(), lines.end(),
                               [&](const std::string& l) { return l.rfind(spare, 0) == 0; }),
                lines.end());
    text = joined();
  }
  REQUIRE(text.size() <= t.size);
  text.resize(t.size, '\0');
  k.damage.write(t.file_offset, text.data(), text.size());
}

bool has_key(const InfoText& t, const std::string& key) {
  for (const auto& l : t.lines)
    if (l.rfind(key + "=", 0) == 0) return true;
  return false;
}

void vmcoreinfo_keys(Source& s, std::vector<CorpusCase>& out) {
  InfoText t = vmcoreinfo_text(s);
  auto without = [&](std::vector<std::string> keys, std::string name, SeenBy seen = SeenBy::dump) {
    for (const auto& key : keys) REQUIRE(has_key(t, key));
    CorpusCase k{"VMCOREINFO keys", std::move(name)};
    k.seen_by = seen;
    std::vector<std::string> lines;
    for (const auto& l : t.lines) {
      bool drop = false;
      for (const auto& key : keys) drop |= l.rfind(key + "=", 0) == 0;
      if (!drop) lines.push_back(l);
    }
    write_info(s, k, lines);
    out.push_back(std::move(k));
  };
  for (const char* key :
       {"SIZE(page)", "OFFSET(page.flags)", "OFFSET(page._mapcount)", "OFFSET(page.private)",
        "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)", "NUMBER(PG_lru)", "PAGESIZE", "SYMBOL(mem_section)",
        "NUMBER(SECTION_SIZE_BITS)", "NUMBER(MAX_PHYSMEM_BITS)", "OSRELEASE"}) {
    without({key}, std::string("no ") + key);
  }
  // The kernel text's PT_LOAD says where the kernel is (older kernels' way).
  without({"NUMBER(phys_base)", "KERNELOFFSET"}, "no NUMBER(phys_base) nor KERNELOFFSET", SeenBy::nobody);
  {
    std::vector<std::string> roots;
    for (const char* key : {"SYMBOL(init_top_pgt)", "SYMBOL(init_level4_pgt)", "SYMBOL(swapper_pg_dir)"})
      if (has_key(t, key)) roots.push_back(key);
    REQUIRE(!roots.empty());
    without(roots, "no page-table root (SYMBOL(init_top_pgt), SYMBOL(swapper_pg_dir))");
  }
  without({"SYMBOL(prb)"}, "no SYMBOL(prb)", SeenBy::log);

  // A key given twice with different values, or a value no kernel has.
  auto with = [&](std::string name, std::string key, std::vector<std::string> values,
                  SeenBy seen = SeenBy::dump) {
    REQUIRE(has_key(t, key));
    CorpusCase k{"VMCOREINFO keys", std::move(name)};
    k.seen_by = seen;
    std::vector<std::string> lines;
    for (const auto& l : t.lines) {
      if (l.rfind(key + "=", 0) != 0) {
        lines.push_back(l);
        continue;
      }
      for (const auto& v : values) lines.push_back(key + "=" + (v == "*" ? l.substr(key.size() + 1) : v));
    }
    write_info(s, k, lines);
    out.push_back(std::move(k));
  };
  with("SIZE(page) twice (64, then 128)", "SIZE(page)", {"*", "128"});
  with("OFFSET(page.flags) twice (0, then 8)", "OFFSET(page.flags)", {"*", "8"});
  {
    // swapper_pg_dir's second value: the kernel text's start instead.
    std::string key = has_key(t, "SYMBOL(init_top_pgt)") ? "SYMBOL(init_top_pgt)" : "SYMBOL(swapper_pg_dir)";
    with(key + " twice (the second one 2 MiB off)", key, {"*", "ffffffff81000000"});
  }
  with("PAGESIZE twice (4096, then 65536)", "PAGESIZE", {"*", "65536"});
  with("OFFSET(page.flags)=4294967295", "OFFSET(page.flags)", {"4294967295"});
  with("OFFSET(page.flags)=18446744073709551615", "OFFSET(page.flags)", {"18446744073709551615"});
  with("SIZE(page)=0", "SIZE(page)", {"0"});
  with("SIZE(page)=18446744073709551615", "SIZE(page)", {"18446744073709551615"});
  with("PAGESIZE=3", "PAGESIZE", {"3"});
  with("PAGESIZE=0", "PAGESIZE", {"0"});
  with("PAGESIZE=1073741824", "PAGESIZE", {"1073741824"});
  with("NUMBER(SECTION_SIZE_BITS)=63", "NUMBER(SECTION_SIZE_BITS)", {"63"});
  with("NUMBER(MAX_PHYSMEM_BITS)=64", "NUMBER(MAX_PHYSMEM_BITS)", {"64"});
  with("NUMBER(phys_base)=-9223372036854775808", "NUMBER(phys_base)", {"-9223372036854775808"});
  with("SYMBOL(mem_section)=0", "SYMBOL(mem_section)", {"0"});
  with("SYMBOL(mem_section)=ffffffffffffffff", "SYMBOL(mem_section)", {"ffffffffffffffff"});
  with("NUMBER(KERNEL_IMAGE_SIZE)=18446744073709551615", "NUMBER(KERNEL_IMAGE_SIZE)",
       {"18446744073709551615"});
  with("LENGTH(zone.free_area)=4294967295", "LENGTH(zone.free_area)", {"4294967295"});
  with("NUMBER(PG_lru)=99", "NUMBER(PG_lru)", {"99"});
  with("SYMBOL(prb)=ffffffffffffffff", "SYMBOL(prb)", {"ffffffffffffffff"}, SeenBy::log);
}

// ---- mem_map and mem_section -------------------------------------------

void scrambled_mem_map(Source& s, std::vector<CorpusCase>& out) {
  auto map = kernel::SparseMemMap::load(*s.m.mem, s.m.core.info(), s.m.phys->max_pfn());
  REQUIRE(map.ok());
  const uint32_t size = map->geometry().page_struct_size;
  REQUIRE(size == 64);
  constexpr uint64_t kCount = 2048;
  const double fractions[] = {0.15, 0.35, 0.55, 0.75, 0.95};
  for (size_t i = 0; i < std::size(fractions); ++i) {
    uint64_t first = pfn_inside_largest_load(s.m.core, fractions[i], 64, kCount);
    std::mt19937_64 rng(1000 + i);
    CorpusCase k{"scrambled mem_map",
                 format("random bytes over the struct pages of 2048 pfns at %.0f%% (seed %zu)",
                        fractions[i] * 100, 1000 + i)};
    for (uint64_t pfn = first; pfn < first + kCount; pfn += 4096 / size) {
      uint64_t va = map->page_address(pfn);
      REQUIRE(va != 0);
      s.write_virt(k.damage, va, random_bytes(rng, 4096));
    }
    out.push_back(std::move(k));
  }
  auto pattern = [&](std::string name, double fraction, const std::function<void(uint8_t*, uint64_t)>& fill) {
    // 1024-aligned: no real buddy block (order <= 10) runs into the range.
    uint64_t first = pfn_inside_largest_load(s.m.core, fraction, 1024, kCount);
    CorpusCase k{"scrambled mem_map", std::move(name)};
    std::vector<uint8_t> page(4096);
    for (uint64_t pfn = first; pfn < first + kCount; pfn += 4096 / size) {
      for (uint64_t j = 0; j < 4096 / size; ++j) fill(page.data() + j * size, pfn + j);
      s.write_virt(k.damage, map->page_address(pfn), page);
    }
    out.push_back(std::move(k));
  };
  auto info_offset = [&](const char* key) {
    auto v = s.m.core.info().number(key);
    REQUIRE(v);
    return *v;
  };
  const uint64_t mapcount = info_offset("OFFSET(page._mapcount)");
  const uint64_t priv = info_offset("OFFSET(page.private)");
  auto buddy = s.m.core.info().signed_number("NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)");
  REQUIRE(buddy);
  pattern("every struct page 0xff", 0.45, [&](uint8_t* p, uint64_t) { std::memset(p, 0xff, size); });
  pattern("every struct page a free page of order 40", 0.25, [&](uint8_t* p, uint64_t) {
    std::memset(p, 0, size);
    int32_t mc = static_cast<int32_t>(*buddy);
    uint64_t order = 40;
    std::memcpy(p + mapcount, &mc, 4);
    std::memcpy(p + priv, &order, 8);
  });
  pattern("every struct page a free page of order 10, misaligned", 0.65, [&](uint8_t* p, uint64_t pfn) {
    std::memset(p, 0, size);
    if (pfn % 1024 == 0) return;  // kept: the walk then meets the misaligned ones
    int32_t mc = static_cast<int32_t>(*buddy);
    uint64_t order = 10;
    std::memcpy(p + mapcount, &mc, 4);
    std::memcpy(p + priv, &order, 8);
  });

  // The sections: where each section's mem_map is.
  const auto& g = map->geometry();
  uint64_t symbol = *s.m.core.info().number("SYMBOL(mem_section)", 16);
  uint64_t root0 = *s.m.mem->read_value<uint64_t>(symbol);
  // The engine's first reading: SYMBOL(mem_section) is the root array.
  uint64_t block = root0;
  if (root0 < 0xff00000000000000ULL) FAIL("mem_section's first root is not a kernel address");
  const uint64_t mid_section = s.m.phys->max_pfn() / 2 / map->pages_per_section();
  {
    CorpusCase k{"scrambled mem_map", "a mem_section entry's section_mem_map random (middle section)"};
    std::mt19937_64 rng(77);
    uint64_t v = rng() | 1;  // present
    s.write_virt(k.damage, block + mid_section * g.mem_section_size + g.section_mem_map_offset,
                 std::vector<uint8_t>(reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 8));
    out.push_back(std::move(k));
  }
  {
    CorpusCase k{"scrambled mem_map", "a mem_section entry's mem_map 1 GiB off (middle section)"};
    uint64_t at = block + mid_section * g.mem_section_size + g.section_mem_map_offset;
    uint64_t v = *s.m.mem->read_value<uint64_t>(at) + (1ULL << 30);
    s.write_virt(k.damage, at,
                 std::vector<uint8_t>(reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 8));
    out.push_back(std::move(k));
  }
  {
    CorpusCase k{"scrambled mem_map", "random bytes over the first mem_section block"};
    std::mt19937_64 rng(78);
    s.write_virt(k.damage, block, random_bytes(rng, 4096));
    out.push_back(std::move(k));
  }
  {
    CorpusCase k{"scrambled mem_map", "the first mem_section root pointer random"};
    std::mt19937_64 rng(79);
    s.write_virt(k.damage, symbol, random_bytes(rng, 8));
    out.push_back(std::move(k));
  }
}

// ---- the printk ring ----------------------------------------------------

void printk_ring(Source& s, std::vector<CorpusCase>& out) {
  auto l = dmesg::ringbuffer_layout(s.m.core.info());
  REQUIRE(l.ok());
  uint64_t prb = *s.m.mem->read_value<uint64_t>(l->prb);
  std::vector<uint8_t> header(l->ringbuffer_size);
  REQUIRE(s.m.mem->read(prb, header.data(), header.size()).ok());
  const uint64_t count = 1ULL << (dmesg::field_value(header, l->count_bits) & 0xffffffff);
  const uint64_t data_size = 1ULL << (dmesg::field_value(header, l->size_bits) & 0xffffffff);
  const uint64_t descs = dmesg::field_value(header, l->descs);
  const uint64_t infos = dmesg::field_value(header, l->infos);
  const uint64_t data = dmesg::field_value(header, l->data);
  const uint64_t head = dmesg::field_value(header, l->head_id);
  auto add = [&](std::string name, const std::function<void(FileDamage&)>& damage) {
    CorpusCase k{"printk ring", std::move(name)};
    k.seen_by = SeenBy::log;
    damage(k.damage);
    out.push_back(std::move(k));
  };
  auto value = [](uint64_t v) {
    return std::vector<uint8_t>(reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + 8);
  };
  add("random bytes over every descriptor", [&](FileDamage& d) {
    std::mt19937_64 rng(501);
    s.write_virt(d, descs, random_bytes(rng, count * l->desc_size));
  });
  add("random bytes over every printk_info", [&](FileDamage& d) {
    std::mt19937_64 rng(502);
    s.write_virt(d, infos, random_bytes(rng, count * l->info_size));
  });
  add("random bytes over the text ring", [&](FileDamage& d) {
    std::mt19937_64 rng(503);
    s.write_virt(d, data, random_bytes(rng, data_size));
  });
  add("head_id and tail_id random", [&](FileDamage& d) {
    std::mt19937_64 rng(504);
    s.write_virt(d, prb + l->head_id.offset, random_bytes(rng, 8));
    s.write_virt(d, prb + l->tail_id.offset, random_bytes(rng, 8));
  });
  add("tail_id 2^40 ids behind head_id",
      [&](FileDamage& d) { s.write_virt(d, prb + l->tail_id.offset, value(head - (1ULL << 40))); });
  add("count_bits 63", [&](FileDamage& d) {
    uint32_t bits = 63;
    s.write_virt(
        d, prb + l->count_bits.offset,
        std::vector<uint8_t>(reinterpret_cast<uint8_t*>(&bits), reinterpret_cast<uint8_t*>(&bits) + 4));
  });
  add("text ring size_bits 63", [&](FileDamage& d) {
    uint32_t bits = 63;
    s.write_virt(
        d, prb + l->size_bits.offset,
        std::vector<uint8_t>(reinterpret_cast<uint8_t*>(&bits), reinterpret_cast<uint8_t*>(&bits) + 4));
  });
  add("descs pointer random", [&](FileDamage& d) {
    std::mt19937_64 rng(505);
    s.write_virt(d, prb + l->descs.offset, random_bytes(rng, 8));
  });
  add("prb pointer 0", [&](FileDamage& d) { s.write_virt(d, l->prb, value(0)); });
}

// ---- page-table loops ---------------------------------------------------

void page_table_loops(Source& s, std::vector<CorpusCase>& out) {
  auto x86 = arch::x86_64::X86_64KernelMemory::create(s.m.core, *s.m.phys);
  REQUIRE(x86.ok());
  auto map = kernel::SparseMemMap::load(*s.m.mem, s.m.core.info(), s.m.phys->max_pfn());
  REQUIRE(map.ok());
  const uint64_t mask = 0x000ffffffffff000ULL;
  const int levels = (*x86)->layout().levels;
  // The tables (and entries) a walk to a vmemmap address goes through, from
  // the top: PGD (or PML5), ..., PMD.
  struct Step {
    uint64_t table, entry_addr;
  };
  auto walk = [&](uint64_t va) {
    std::vector<Step> steps;
    uint64_t table = (*x86)->layout().top_table_phys & mask;
    for (int shift = levels == 5 ? 48 : 39; shift >= 21; shift -= 9) {
      uint64_t entry_addr = table + ((va >> shift) & 511) * 8;
      uint64_t entry = read_at<uint64_t>(s.path, file_offset(s.m.core, entry_addr));
      REQUIRE((entry & 1) == 1);
      steps.push_back({table, entry_addr});
      if (entry & (1ULL << 7)) break;
      table = entry & mask;
    }
    return steps;
  };
  auto loop = [&](std::string name, double fraction, size_t level_from_bottom, size_t target_from_bottom) {
    uint64_t pfn = pfn_inside_largest_load(s.m.core, fraction, 32768, 32768);
    auto steps = walk(map->page_address(pfn));
    REQUIRE(steps.size() >= 3);
    const Step& at = steps[steps.size() - 1 - level_from_bottom];
    const Step& target = steps[steps.size() - 1 - target_from_bottom];
    CorpusCase k{"page-table loop", std::move(name)};
    uint64_t entry = target.table | 0x63;  // present, writable, accessed, dirty: a table pointer
    k.damage.write_phys(s.m.core, at.entry_addr, &entry, 8);
    out.push_back(std::move(k));
  };
  // Levels counted from the bottom of the walk: 0 = PMD, 1 = PUD, 2 = PGD.
  loop("PMD entry -> its own table (vmemmap at 50%)", 0.5, 0, 0);
  loop("PMD entry -> its own table (vmemmap at 20%)", 0.2, 0, 0);
  loop("PMD entry -> the PUD table above it", 0.7, 0, 1);
  loop("PMD entry -> the PGD", 0.3, 0, 2);
  loop("PUD entry -> its own table", 0.5, 1, 1);
  loop("PUD entry -> the PGD", 0.5, 1, 2);
  loop("PGD entry -> the PGD itself", 0.5, 2, 2);
  {
    // Every entry of the PMD table under the vmemmap at 40% points back at it.
    uint64_t pfn = pfn_inside_largest_load(s.m.core, 0.4, 32768, 32768);
    auto steps = walk(map->page_address(pfn));
    const Step& pmd = steps.back();
    CorpusCase k{"page-table loop", "every entry of a vmemmap PMD table -> that table"};
    std::vector<uint64_t> table(512, pmd.table | 0x63);
    k.damage.write_phys(s.m.core, pmd.table, table.data(), 4096);
    out.push_back(std::move(k));
  }
}

std::vector<CorpusCase> generate_corpus(Source& s) {
  std::vector<CorpusCase> all;
  truncations(s, all);
  wild_loads(s, all);
  garbled_notes(s, all);
  vmcoreinfo_keys(s, all);
  scrambled_mem_map(s, all);
  printk_ring(s, all);
  page_table_loops(s, all);
  return all;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string one_line(std::string s, size_t max = 110) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

// libkdumpfile reads the dump: attributes, and the first, a middle and the
// last dumped page, equal to what our own reader gives. "" when it does.
std::string libkdumpfile_verdict(const std::string& dump, const TempDir& dir) {
  auto core = vmcore::VmcoreFile::open(dump);
  if (!core) return "our reader: " + core.error().message;
  if (!core->kdump()) return "not a kdump-compressed file";
  const uint64_t max_mapnr = core->kdump()->max_mapnr();
  if (max_mapnr > (1ULL << 36))
    return format("max_mapnr 0x%llx is implausible", (unsigned long long)max_mapnr);
  auto ours = dump::KdumpFile::open(dump);
  if (!ours) return "our reader: " + ours.error().message;
  std::vector<uint64_t> dumped;
  uint64_t n = ours->dumpable_count(), k = 0;
  for (uint64_t pfn = 0; pfn < max_mapnr && n != 0; ++pfn) {
    if (!ours->in_bitmap2(pfn)) continue;
    if (k == 0 || k == n / 2 || k == n - 1) dumped.push_back(pfn);
    ++k;
  }
  std::string pages = dir.file("pages.bin"), said = dir.file("libkdumpfile.txt");
  std::string cmd = std::string("/usr/bin/python3 ") + KDK_SOURCE_DIR +
                    "/tests/engine/faults/libkdumpfile_read.py '" + dump + "' '" + pages + "'";
  for (uint64_t p : dumped) cmd += format(" 0x%llx", (unsigned long long)p);
  int rc = shell(cmd + " > '" + said + "' 2>&1");
  std::ifstream in(said);
  std::string line;
  std::getline(in, line);
  if (rc != 0) return "libkdumpfile: " + line;
  std::ifstream got(pages, std::ios::binary);
  std::vector<uint8_t> theirs(4096), mine(4096);
  for (uint64_t p : dumped) {
    got.read(reinterpret_cast<char*>(theirs.data()), 4096);
    if (!got) return "libkdumpfile gave fewer pages than asked";
    if (auto st = ours->read_page(p, mine.data()); !st) return "our reader: " + st.error().message;
    if (theirs != mine)
      return format("pfn 0x%llx differs between libkdumpfile and our reader", (unsigned long long)p);
  }
  return "";
}

struct Row {
  std::string cls, name, verdict, damage;
  double dump_s = 0, log_s = 0, ratio = 0;
  uint64_t output_bytes = 0;
  bool delivered = false;
};

}  // namespace

TEST_CASE("chaos: a generated corpus of damaged vmcores", "[chaos]") {
  auto fx = idle_fixture();
  if (!fx) return;
  test::require_python_module("kdumpfile", "python3-libkdumpfile");
  TempDir dir;

  std::vector<CorpusCase> corpus;
  uint64_t fixture_size = 0;
  {
    Source s{Model::open(fx->vmcore), fx->vmcore, 0};
    struct stat st {};
    REQUIRE(::stat(fx->vmcore.c_str(), &st) == 0);
    s.size = fixture_size = static_cast<uint64_t>(st.st_size);
    corpus = generate_corpus(s);
  }
  std::map<std::string, int> per_class;
  for (const auto& c : corpus) ++per_class[c.cls];
  // An optional filter for a run by hand: KDK_CHAOS_ONLY=substring of the case name.
  const char* only = getenv("KDK_CHAOS_ONLY");

  // The clean times, in this run: the median of three.
  const std::string clean_output = dir.file("clean.kdump");
  auto clean_times = [&] {
    std::vector<double> d, l;
    for (int i = 0; i < 3; ++i) {
      DumpRun c = run_dump_child(fx->vmcore, dir, 31, dump::DumpFormat::kdump, kHardTimeout);
      INFO(c.describe());
      REQUIRE(c.ok);
      REQUIRE(c.damage.empty());
      REQUIRE(::rename(c.output.c_str(), clean_output.c_str()) == 0);
      d.push_back(c.child.seconds);
      LogRun g = run_log_child(fx->vmcore, dir, kHardTimeout);
      REQUIRE(g.ok);
      l.push_back(g.child.seconds);
    }
    return std::pair<double, double>(median(d), median(l));
  };
  auto [clean_dump, clean_log] = clean_times();
  std::printf("chaos: clean dump %.3f s, clean log %.3f s; %zu cases\n", clean_dump, clean_log,
              corpus.size());

  ReusableCopy copy(fx->vmcore, dir);
  REQUIRE(copy.size() == fixture_size);
  std::vector<Row> rows;
  for (const auto& c : corpus) {
    if (only && c.name.find(only) == std::string::npos) continue;
    CAPTURE(c.cls, c.name);
    copy.apply(c.damage);
    DumpRun run = run_dump_child(copy.path(), dir, 31, dump::DumpFormat::kdump, kHardTimeout);
    LogRun log = run_log_child(copy.path(), dir, kHardTimeout);
    // A time over the bound is measured once more, with the clean time
    // again, before it counts: the machine is shared.
    auto over = [&](const DumpRun& r, const LogRun& g) {
      return r.child.seconds > 2 * clean_dump + 1 || g.child.seconds > 2 * clean_log + 1;
    };
    if (run.child.finished && log.child.finished && over(run, log)) {
      std::tie(clean_dump, clean_log) = clean_times();
      run = run_dump_child(copy.path(), dir, 31, dump::DumpFormat::kdump, kHardTimeout);
      log = run_log_child(copy.path(), dir, kHardTimeout);
    }
    Row row{c.cls, c.name};
    row.dump_s = run.child.seconds;
    row.log_s = log.child.seconds;
    row.ratio = run.child.seconds / clean_dump;
    row.delivered = run.ok;
    INFO(run.describe());
    INFO("log: " << log.child.report);
    // 1. Bounded, no crash.
    CHECK(run.child.finished);
    CHECK(run.child.signal == 0);
    CHECK(log.child.finished);
    CHECK(log.child.signal == 0);
    CHECK(run.child.seconds <= 2 * clean_dump + 1);
    CHECK(log.child.seconds <= 2 * clean_log + 1);
    std::string verdict = !run.child.finished ? "HANG" : run.child.signal ? "SIGNAL" : "";
    // 2. Delivered and readable, or refused with a clear error.
    if (c.expect == Expect::delivers) {
      CHECK(run.ok);
      if (run.ok) {
        struct stat st {};
        if (::stat(run.output.c_str(), &st) == 0) row.output_bytes = static_cast<uint64_t>(st.st_size);
        std::string why = libkdumpfile_verdict(run.output, dir);
        INFO("libkdumpfile: " << why);
        CHECK(why.empty());
        if (!why.empty() && verdict.empty()) verdict = "UNREADABLE: " + why;
      } else if (verdict.empty()) {
        verdict = "FAILED: " + run.error;
      }
    } else {
      CHECK_FALSE(run.ok);
      CHECK(run.child.exit_code == 1);
      CHECK(!run.error.empty());
      if (run.ok && verdict.empty()) verdict = "DELIVERED, expected a refusal";
    }
    // 3. Recorded.
    if (c.expect == Expect::delivers && c.seen_by != SeenBy::nobody) {
      bool recorded = c.seen_by == SeenBy::dump ? !run.damage.empty() : (!log.ok || !log.damage.empty());
      CHECK(recorded);
      if (!recorded && verdict.empty()) verdict = "NOT RECORDED";
    }
    if (c.seen_by == SeenBy::nobody && run.ok) {
      // The same pages dumped as from the undamaged vmcore (the notes differ).
      uint64_t differ = 0;
      bitmap2_differences(
          run.output, clean_output, [](uint64_t) { return false; }, 16, &differ);
      CHECK(run.damage.empty());
      CHECK(differ == 0);
      if (differ != 0 && verdict.empty())
        verdict = format("%llu pfns differ from the clean dump", (unsigned long long)differ);
    }
    if (!run.ok) {
      row.damage = "refused: " + run.error;
    } else if (c.seen_by == SeenBy::nobody) {
      row.damage = "none: the clean dump's pfn set";
    } else if (c.seen_by == SeenBy::log) {
      row.damage = "log: " + (log.ok ? log.damage : log.error);
    } else if (!run.damage.empty()) {
      row.damage = format("%zu: ", run.damage.size()) + run.damage.front().what;
    }
    row.verdict = verdict.empty() ? "ok" : verdict;
    rows.push_back(row);
    copy.restore();
    ::unlink(run.output.c_str());
  }

  // The table.
  double worst = 0;
  std::string worst_case;
  std::printf("\n%-18s %-62s %7s %6s %6s %11s  %s\n", "class", "case", "dump s", "ratio", "log s", "output",
              "verdict / damage");
  for (const auto& r : rows) {
    if (r.ratio > worst) {
      worst = r.ratio;
      worst_case = r.name;
    }
    std::printf("%-18s %-62s %7.3f %6.2f %6.3f %11llu  %s | %s\n", r.cls.c_str(),
                one_line(r.name, 62).c_str(), r.dump_s, r.ratio, r.log_s,
                static_cast<unsigned long long>(r.output_bytes), r.verdict.c_str(),
                one_line(r.damage).c_str());
  }
  size_t delivered = 0;
  for (const auto& r : rows) delivered += r.delivered;
  std::printf("\nchaos: %zu cases (", rows.size());
  for (const auto& [cls, n] : per_class) std::printf("%s %d; ", cls.c_str(), n);
  std::printf(
      "), %zu delivered, %zu refused; clean dump %.3f s; worst dump time ratio %.2f (%s), bound 2 x clean + "
      "1 s = %.2f\n",
      delivered, rows.size() - delivered, clean_dump, worst, worst_case.c_str(),
      (2 * clean_dump + 1) / clean_dump);
  std::fflush(stdout);
}
