// PageBackend over a kdump-compressed file: a pfn's descriptor is found
// through bitmap2 (the image's per-block rank plus the bits of one cached
// bitmap block), read from a small window of descriptors, and its bytes
// decompressed (zstd, zlib, lzo, or stored raw). Pages the file did not
// dump (bitmap2 clear) are not available: reading one is an error.
//
// One instance per thread (it keeps caches); the image is shared.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/vmcore/kdump_image.h"
#include "engine/vmcore/page_backend.h"
#include "util/result.h"

namespace kdk::vmcore {

Result<std::unique_ptr<PageBackend>> make_kdump_pages(std::shared_ptr<const KdumpImage> image,
                                                      uint64_t page_size);

}  // namespace kdk::vmcore
