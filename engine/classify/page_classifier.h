// The dump::PageFilter that applies a dump level the way makedumpfile does,
// one cycle [start, end) at a time, reading that cycle's struct pages in
// bounded chunks.
//
// makedumpfile walks each SPARSEMEM section's mem_map in pfn order; when a
// page is excluded together with the pages after it (a buddy block, a
// compound page) the walk jumps over them, and the exclusion runs on past
// the section if it must. The result for a pfn can therefore depend on pages
// before the cycle. The classifier carries that state from one cycle to the
// next (and recomputes it when cycles come out of order), so the pfn set is
// the same whatever cycles the writer uses: the set makedumpfile produces in
// one cycle, which it does for any machine whose bitmap fits its buffer.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/classify/page_rules.h"
#include "engine/format/page_filter.h"
#include "engine/kernel/kernel_memory.h"
#include "engine/kernel/struct_page_source.h"
#include "engine/vmcore/elf_core.h"
#include "engine/vmcore/physical_memory.h"
#include "engine/vmcore/vmcore_file.h"

namespace kdk::classify {

// pfn ranges [first, end), sorted and merged.
struct PfnRange {
  uint64_t first = 0, end = 0;
};

// makedumpfile's two views of the PT_LOAD segments: bitmap1 holds the pfns
// from round-down(p_paddr) to round-down(p_paddr + p_memsz); only pages whose
// first byte lies in the file part (p_filesz) are classified.
struct RamLayout {
  std::vector<PfnRange> ram;         // bitmap1
  std::vector<PfnRange> classified;  // struct page is looked at
  // RAM without data (makedumpfile's exclude_nodata_pages): from the
  // round-up of p_paddr + p_filesz to the round-up of p_paddr + p_memsz.
  // Never dumped: there is nothing to read.
  std::vector<PfnRange> nodata;
  // The part of `nodata` that a truncated file lost (p_filesz promised it).
  std::vector<PfnRange> missing;
  uint64_t max_pfn = 0;  // round-up of the highest p_paddr + p_memsz
  static RamLayout from_loads(const std::vector<vmcore::LoadSegment>& loads, uint64_t page_size);
};

class PageClassifier final : public dump::PageFilter {
 public:
  // `source` may be null (no usable struct page model): then every RAM page
  // is kept and `source_problem` is recorded as damage over all of memory.
  // `max_pfn` is what max_pfn() reports (see make_page_filter).
  PageClassifier(RamLayout ram, std::unique_ptr<kernel::StructPageSource> source, std::string source_problem,
                 int dump_level, uint64_t max_pfn, size_t buffer_bytes = 1 << 20);

  Status filter(uint64_t start_pfn, uint64_t end_pfn, dump::PfnBitmap& ram,
                dump::PfnBitmap& dumpable) override;
  uint64_t max_pfn() const override { return max_pfn_; }
  dump::FilterCounts& counts() override { return counts_; }
  // The first kMaxDamageRanges ranges, then one entry per cause for the rest
  // (how many ranges and pages): a memory full of garbage must not make a
  // report as large as itself.
  const std::vector<dump::Damage>& damage() const override;
  static constexpr size_t kMaxDamageRanges = 256;

  int dump_level() const { return level_; }
  // Damage known before any walk (a truncated file's missing pages).
  void add_damage(dump::Damage d) { record(std::move(d)); }

 private:
  struct Pending {
    uint64_t end;
    PageClass cls;
  };
  // The walk's state at a pfn: where the scan resumes (after a jump) and the
  // exclusions that started earlier and are not over.
  struct Carry {
    uint64_t resume = 0;
    uint64_t excluded_end = 0;     // all pfns below this (from `at`) are excluded
    std::vector<Pending> pending;  // for the per-class counts
  };
  struct Output {
    dump::PfnBitmap* dumpable;
    dump::FilterCounts* counts;
    bool record_damage;
  };

  Carry carry_at(uint64_t pfn);
  // Walks [start, end) from `carry`; with `out` null only the carry is computed.
  Carry walk(uint64_t start, uint64_t end, Carry carry, const Output* out);
  void walk_chunk(uint64_t from, uint64_t to, uint64_t chunk_end, uint64_t cycle_end, Carry& carry,
                  const Output* out);
  void exclude(uint64_t first, uint64_t end, PageClass cls, uint64_t cycle_start, uint64_t cycle_end,
               const Output* out);
  void note_damage(uint64_t first, uint64_t end, const std::string& what, const Output* out);
  void count(dump::FilterCounts& c, PageClass cls, uint64_t n);
  void record(dump::Damage d);
  struct DamageTotal {
    uint64_t ranges = 0;
    uint64_t pages = 0;
    uint64_t first_pfn = 0;
    uint64_t end_pfn = 0;
  };

  RamLayout ram_;
  std::unique_ptr<kernel::StructPageSource> source_;
  std::string source_problem_;
  int level_;
  uint64_t max_pfn_;
  std::unique_ptr<PageRules> rules_;
  std::vector<uint8_t> buffer_;  // struct pages of one read
  std::vector<uint8_t> bad_;     // per page of the buffer: its struct page was unreadable
  size_t buffer_pages_ = 0;
  std::map<uint64_t, Carry> carries_;  // walk state at cycle ends seen so far
  std::vector<PfnRange> damaged_in_cycle_;
  dump::FilterCounts counts_;
  std::vector<dump::Damage> damage_;
  std::map<std::string, DamageTotal> damage_beyond_;  // by cause, past kMaxDamageRanges
  mutable std::vector<dump::Damage> damage_report_;
  uint64_t damage_reported_end_ = 0;          // the walk's damage is reported up to here
  std::map<uint64_t, uint64_t> damage_seen_;  // start -> end, to report each once
};

// Builds the filter for a vmcore at `dump_level` (0..31): the struct page
// model (VMCOREINFO layout, SPARSEMEM sections through `mem`), the RAM map,
// and max_pfn (lowered, as makedumpfile does, to the end of the last section
// that has a memory map). Missing kernel information does not fail: pages
// are then kept and the reason is in damage(). `mem` must outlive the filter.
Result<std::unique_ptr<PageClassifier>> make_page_filter(const vmcore::VmcoreFile& core,
                                                         vmcore::PhysicalMemory& phys,
                                                         kernel::KernelMemory& mem, int dump_level);

}  // namespace kdk::classify
