// Unknown means keep: what the classifier cannot know when the crashed
// kernel's VMCOREINFO lacks a key a rule needs. For each such key (or set
// of alternative keys), the classes whose exclusion depends on it; pages
// that would be excluded as one of them are kept instead, and the reason
// is recorded (damage list, metadata) and warned once. Never guessed.
//
// The rule for a key applies only where the kernel should export it (its
// release says the field exists) and the dump level uses it: Debian 5.10
// legitimately has no PAGE_SLAB_MAPCOUNT_VALUE, and -d 1 reads no struct
// page at all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/kernel/struct_page.h"

namespace kdk::classify {

enum class PageClass : uint8_t;

// One bit per PageClass value.
constexpr uint32_t class_bit(PageClass c) { return 1u << static_cast<unsigned>(c); }

struct UnknownRule {
  std::string missing;   // the key, or the alternatives: "OFFSET(page.compound_head) or ..."
  std::string kept;      // what is kept for it: "cache, cache-private and user pages"
  uint32_t classes = 0;  // class_bit()s not excluded while it is missing
};

// The rules that apply to `layout` at `dump_level`; empty for a kernel that
// exports everything the level uses.
std::vector<UnknownRule> unknown_rules(const kernel::PageLayout& layout, int dump_level);

// The free-page orders that can be trusted without LENGTH(zone.free_area):
// x86-64 kernels have had at most 11 (MAX_ORDER, orders 0..10).
inline constexpr uint64_t kDefaultFreeAreaLength = 11;

}  // namespace kdk::classify
