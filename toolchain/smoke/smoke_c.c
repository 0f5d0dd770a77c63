/* C part of the toolchain smoke test: zlib and lzo2 from plain C. */
#include <string.h>

#include <lzo/lzo1x.h>
#include <zlib.h>

#include "smoke_c.h"

int kdk_smoke_zlib(void) {
  static const char text[] =
      "kdumpkit kdumpkit kdumpkit kdumpkit kdumpkit kdumpkit kdumpkit";
  unsigned char packed[256], unpacked[256];
  uLongf packed_len = sizeof packed, unpacked_len = sizeof unpacked;
  if (compress2(packed, &packed_len, (const Bytef *)text, sizeof text, 9) != Z_OK)
    return -1;
  if (uncompress(unpacked, &unpacked_len, packed, packed_len) != Z_OK) return -2;
  if (unpacked_len != sizeof text || memcmp(unpacked, text, sizeof text) != 0)
    return -3;
  if (strcmp(zlibVersion(), ZLIB_VERSION) != 0) return -4;
  return (int)packed_len;
}

int kdk_smoke_lzo(void) {
  static unsigned char text[4096];
  static unsigned char packed[4096 + 4096 / 16 + 64 + 3];
  static unsigned char unpacked[4096];
  static lzo_align_t work[(LZO1X_1_MEM_COMPRESS + sizeof(lzo_align_t) - 1) /
                          sizeof(lzo_align_t)];
  lzo_uint packed_len = 0, unpacked_len = sizeof unpacked;
  if (lzo_init() != LZO_E_OK) return -1;
  for (size_t i = 0; i < sizeof text; i++) text[i] = (unsigned char)("kdump"[i % 5]);
  if (lzo1x_1_compress(text, sizeof text, packed, &packed_len, work) != LZO_E_OK)
    return -2;
  if (lzo1x_decompress_safe(packed, packed_len, unpacked, &unpacked_len, NULL) !=
      LZO_E_OK)
    return -3;
  if (unpacked_len != sizeof text || memcmp(unpacked, text, sizeof text) != 0)
    return -4;
  if (strcmp(lzo_version_string(), LZO_VERSION_STRING) != 0) return -5;
  return (int)packed_len;
}
