#include "engine/kernel/struct_page.h"

#include <cstdlib>

#include "engine/vmcore/checked_field.h"
#include "util/format.h"

namespace kdk::kernel {

namespace {

// An offset is usable only if the field lies wholly inside struct page.
std::optional<uint32_t> field(const vmcore::VmcoreInfo& info, const std::string& key, uint32_t page_size,
                              uint32_t width) {
  auto v = vmcore::checked_field(info, key, width, page_size, "struct page");
  if (!v) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

// A folio field exported relative to the head page, as an offset into the
// first tail page (the classifier reads it there).
std::optional<uint32_t> folio_field(uint64_t folio_offset, uint32_t page_size, uint32_t width) {
  if (folio_offset < page_size || !vmcore::field_fits(folio_offset - page_size, width, page_size))
    return std::nullopt;
  return static_cast<uint32_t>(folio_offset - page_size);
}

void parse_release(const std::string& release, int& major, int& minor) {
  major = minor = 0;
  char* end = nullptr;
  major = static_cast<int>(std::strtol(release.c_str(), &end, 10));
  if (end && *end == '.') minor = static_cast<int>(std::strtol(end + 1, nullptr, 10));
}

bool at_least(const PageLayout& l, int major, int minor) {
  return l.kernel_major > major || (l.kernel_major == major && l.kernel_minor >= minor);
}

}  // namespace

Result<PageLayout> PageLayout::from_vmcoreinfo(const vmcore::VmcoreInfo& info) {
  PageLayout l;
  auto size = info.number("SIZE(page)");
  if (!size || *size == 0 || *size > 4096) {
    return Error{"VMCOREINFO has no usable SIZE(page)"};
  }
  l.size = static_cast<uint32_t>(*size);
  if (auto rel = info.get("OSRELEASE")) parse_release(*rel, l.kernel_major, l.kernel_minor);

  l.flags = field(info, "OFFSET(page.flags)", l.size, 8);
  l.refcount = field(info, "OFFSET(page._refcount)", l.size, 4);
  if (!l.refcount) l.refcount = field(info, "OFFSET(page._count)", l.size, 4);
  l.mapping = field(info, "OFFSET(page.mapping)", l.size, 8);
  if (!l.flags || !l.refcount || !l.mapping) {
    return Error{"VMCOREINFO lacks OFFSET(page.flags), OFFSET(page._refcount) or OFFSET(page.mapping)"};
  }
  l.lru = field(info, "OFFSET(page.lru)", l.size, 16);
  l.mapcount = field(info, "OFFSET(page._mapcount)", l.size, 4);
  l.private_ = field(info, "OFFSET(page.private)", l.size, 8);
  l.compound_head = field(info, "OFFSET(page.compound_head)", l.size, 8);
  // Linux 7.1 renamed the field compound_info; bit 0 still marks a tail.
  if (!l.compound_head) l.compound_head = field(info, "OFFSET(page.compound_info)", l.size, 8);

  l.compound_order_width = at_least(l, 4, 16) ? 1 : 2;
  l.compound_dtor_width = at_least(l, 4, 16) ? 1 : at_least(l, 4, 4) ? 2 : 8;
  // 6.3+ export the folio's fields, at offsets counted from the head page;
  // the classifier reads them relative to the first tail page.
  if (auto o = info.number("OFFSET(folio._folio_order)"); o && *o >= l.size) {
    l.compound_order = folio_field(*o, l.size, l.compound_order_width);
  } else {
    l.compound_order = field(info, "OFFSET(page.compound_order)", l.size, l.compound_order_width);
  }
  if (auto o = info.number("OFFSET(folio._folio_dtor)"); o && *o >= l.size) {
    l.compound_dtor = folio_field(*o, l.size, l.compound_dtor_width);
  } else {
    l.compound_dtor = field(info, "OFFSET(page.compound_dtor)", l.size, l.compound_dtor_width);
  }
  // Before 4.4 the order and destructor lived in the first tail's lru.
  if (!at_least(l, 4, 4) && l.lru) {
    if (!l.compound_order) l.compound_order = *l.lru + 8;
    if (!l.compound_dtor) l.compound_dtor = *l.lru;
  }

  l.pg_lru = info.signed_number("NUMBER(PG_lru)");
  l.pg_private = info.signed_number("NUMBER(PG_private)");
  l.pg_swapcache = info.signed_number("NUMBER(PG_swapcache)");
  l.pg_swapbacked = info.signed_number("NUMBER(PG_swapbacked)");
  l.pg_slab = info.signed_number("NUMBER(PG_slab)");
  l.pg_hwpoison = info.signed_number("NUMBER(PG_hwpoison)");
  l.pg_hugetlb = info.signed_number("NUMBER(PG_hugetlb)");
  if (auto m = info.number("NUMBER(PG_head_mask)")) l.pg_head_mask = *m;
  l.buddy_mapcount = info.signed_number("NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)");
  l.offline_mapcount = info.signed_number("NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)");
  l.hugetlb_mapcount = info.signed_number("NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)");
  l.slab_mapcount = info.signed_number("NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)");
  l.unaccepted_mapcount = info.signed_number("NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)");
  if (auto d = info.number("NUMBER(HUGETLB_PAGE_DTOR)")) l.hugetlb_dtor = *d;
  if (auto s = info.number("SYMBOL(free_huge_page)", 16)) l.free_huge_page = *s;
  if (auto n = info.number("LENGTH(zone.free_area)")) l.free_area_length = *n;
  return l;
}

PageFields decode_page(const PageLayout& l, const uint8_t* page) {
  PageFields f;
  f.flags = load_uint(page + *l.flags, 8);
  f.mapping = load_uint(page + *l.mapping, 8);
  f.refcount = static_cast<uint32_t>(load_uint(page + *l.refcount, 4));
  if (l.mapcount) f.mapcount = static_cast<uint32_t>(load_uint(page + *l.mapcount, 4));
  if (l.private_) f.private_ = load_uint(page + *l.private_, 8);
  if (l.compound_head) f.compound_head = load_uint(page + *l.compound_head, 8);
  return f;
}

}  // namespace kdk::kernel
