/* SHA-256 (FIPS 180-4), freestanding: no libc, no floating point, no SIMD. */
#ifndef KDK_PURGATORY_SHA256_H
#define KDK_PURGATORY_SHA256_H

#include "purgatory/types.h"

struct sha256_ctx {
  u32 state[8];
  u64 bytes;    /* message length so far */
  u8 block[64]; /* the partial block */
  u32 used;     /* bytes in block */
};

void sha256_init(struct sha256_ctx* c);
void sha256_update(struct sha256_ctx* c, const void* data, u64 len);
void sha256_final(struct sha256_ctx* c, u8 out[32]);

#endif
