#include <zstd.h>

#include "engine/format/compressor.h"
#include "util/format.h"

namespace kdk::dump {

namespace {

class ZstdCompressor final : public Compressor {
 public:
  explicit ZstdCompressor(int level) : level_(level), cctx_(ZSTD_createCCtx()) {}
  ~ZstdCompressor() override { ZSTD_freeCCtx(cctx_); }

  size_t compress(const uint8_t* in, size_t size, uint8_t* out) override {
    if (!cctx_) return 0;
    // A one-shot frame per page with a reused context: the same bytes as
    // makedumpfile's ZSTD_compressCCtx(level 1), and readers decode each
    // page as a standalone frame.
    size_t n = ZSTD_compressCCtx(cctx_, out, ZSTD_compressBound(size), in, size, level_);
    if (ZSTD_isError(n) || n >= size) return 0;
    return n;
  }
  size_t max_output(size_t page_size) const override { return ZSTD_compressBound(page_size); }

 private:
  int level_;
  ZSTD_CCtx* cctx_;
};

}  // namespace

std::unique_ptr<Compressor> make_zstd_compressor(int level) {
  return std::make_unique<ZstdCompressor>(level);
}

Status zstd_decompress(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  size_t n = ZSTD_decompress(out, out_size, in, in_size);
  if (ZSTD_isError(n)) return Error{format("zstd: %s", ZSTD_getErrorName(n))};
  if (n != out_size) return Error{format("zstd: page decompressed to %zu bytes, expected %zu", n, out_size)};
  return {};
}

}  // namespace kdk::dump
