#pragma once
// What a vmcore's PT_LOAD headers say about each other: /proc/vmcore's
// headers follow rules a damaged header breaks even when its numbers look
// sane on their own. Each broken rule is one line for the vmcore's problem
// list (never a refusal: the pages are still read as the headers say).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/vmcore/elf_core.h"

namespace kdk::vmcore {

// Checks, in order:
//  - p_filesz > p_memsz (p_memsz 0 included): the bytes past p_memsz are
//    not memory; the segment's file part is clipped to p_memsz.
//  - an empty PT_LOAD (p_filesz = p_memsz = 0).
//  - one PT_LOAD whose file offset and physical address differ by other than
//    a multiple of the page size when every other one's do (the kernel's
//    /proc/vmcore keeps them congruent; its pages would be read shifted).
//  - PT_LOADs whose file data cover the same physical memory: partly
//    overlapping (only the kernel text's copy overlaps RAM, and wholly), or
//    holding different bytes in up to kComparedPages sampled pages.
//  - PT_LOADs of one linear mapping (their p_vaddr - p_paddr less than
//    16 TiB apart) that disagree on its offset: a moved p_paddr.
// `fd` reads the sampled pages; `page_size` is a power of two (VmcoreFile
// passes VMCOREINFO's PAGESIZE, which it has checked: 4-256 KiB).
// Work is O(n log n) in the PT_LOAD count.
std::vector<std::string> check_load_consistency(std::vector<LoadSegment>& loads, int fd, uint64_t page_size);

inline constexpr int kComparedPages = 8;

}  // namespace kdk::vmcore
