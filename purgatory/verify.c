/* The check the purgatory exists for: every segment the loader digested
 * still has that digest. Also the entry points the host tests call in the
 * built image (see purgatory.h: sha256_offset, verify_offset). */
#include "purgatory/purgatory.h"
#include "purgatory/sha256.h"

void kdk_purgatory_sha256(const void* data, u64 len, u8 out[32]) {
  struct sha256_ctx c;
  sha256_init(&c);
  sha256_update(&c, data, len);
  sha256_final(&c, out);
}

int kdk_purgatory_verify(const struct kdk_purgatory_params* p) {
  if (p->nr_regions > KDK_PURGATORY_MAX_REGIONS) return KDK_PURGATORY_MAX_REGIONS;
  for (u32 i = 0; i < p->nr_regions; i++) {
    const struct kdk_purgatory_region* r = &p->regions[i];
    u8 digest[32];
    kdk_purgatory_sha256((const void*)(uptr)r->start, r->len, digest);
    u8 diff = 0;
    for (int j = 0; j < 32; j++) diff |= (u8)(digest[j] ^ r->sha256[j]);
    if (diff) return (int)i;
  }
  return -1;
}
