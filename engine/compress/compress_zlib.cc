#include <zlib.h>

#include "engine/format/compressor.h"
#include "util/format.h"

namespace kdk::dump {

namespace {

class ZlibCompressor final : public Compressor {
 public:
  explicit ZlibCompressor(int level) { ok_ = deflateInit(&stream_, level) == Z_OK; }
  ~ZlibCompressor() override {
    if (ok_) deflateEnd(&stream_);
  }

  size_t compress(const uint8_t* in, size_t size, uint8_t* out) override {
    if (!ok_) return 0;
    // deflate + reset per page is compress2() without its per-call
    // allocation: a zlib stream (header and adler32) per page, as
    // makedumpfile -c writes and crash reads with uncompress().
    stream_.next_in = const_cast<Bytef*>(in);
    stream_.avail_in = static_cast<uInt>(size);
    stream_.next_out = out;
    stream_.avail_out = static_cast<uInt>(compressBound(size));
    int err = deflate(&stream_, Z_FINISH);
    size_t n = stream_.total_out;
    deflateReset(&stream_);
    if (err != Z_STREAM_END || n >= size) return 0;
    return n;
  }
  size_t max_output(size_t page_size) const override { return compressBound(page_size); }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

}  // namespace

std::unique_ptr<Compressor> make_zlib_compressor(int level) {
  return std::make_unique<ZlibCompressor>(level);
}

Status zlib_decompress(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size) {
  uLongf n = out_size;
  int err = uncompress(out, &n, in, in_size);
  if (err != Z_OK) return Error{format("zlib: uncompress failed (%d)", err)};
  if (n != out_size) return Error{format("zlib: page decompressed to %lu bytes, expected %zu", n, out_size)};
  return {};
}

}  // namespace kdk::dump
