/* SHA-256 after FIPS 180-4, section 6.2, written for the purgatory: it runs
 * with no libc and no SSE (the kexec'd CPU has CR4.OSFXSR clear), over
 * physical memory that is identity mapped. */
#include "purgatory/sha256.h"

static const u32 k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline u32 ror(u32 x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void compress(u32 s[8], const u8* p) {
  u32 w[64];
  for (int i = 0; i < 16; i++) {
    w[i] = (u32)p[4 * i] << 24 | (u32)p[4 * i + 1] << 16 | (u32)p[4 * i + 2] << 8 | (u32)p[4 * i + 3];
  }
  for (int i = 16; i < 64; i++) {
    u32 s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    u32 s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  u32 a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
  for (int i = 0; i < 64; i++) {
    u32 t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
    u32 t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  s[0] += a;
  s[1] += b;
  s[2] += c;
  s[3] += d;
  s[4] += e;
  s[5] += f;
  s[6] += g;
  s[7] += h;
}

void sha256_init(struct sha256_ctx* c) {
  static const u32 iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                            0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  for (int i = 0; i < 8; i++) c->state[i] = iv[i];
  c->bytes = 0;
  c->used = 0;
}

void sha256_update(struct sha256_ctx* c, const void* data, u64 len) {
  const u8* p = (const u8*)data;
  c->bytes += len;
  if (c->used) {
    while (len && c->used < 64) {
      c->block[c->used++] = *p++;
      len--;
    }
    if (c->used < 64) return;
    compress(c->state, c->block);
    c->used = 0;
  }
  while (len >= 64) {
    compress(c->state, p);
    p += 64;
    len -= 64;
  }
  while (len--) c->block[c->used++] = *p++;
}

void sha256_final(struct sha256_ctx* c, u8 out[32]) {
  u64 bits = c->bytes * 8;
  c->block[c->used++] = 0x80;
  if (c->used > 56) {
    while (c->used < 64) c->block[c->used++] = 0;
    compress(c->state, c->block);
    c->used = 0;
  }
  while (c->used < 56) c->block[c->used++] = 0;
  for (int i = 7; i >= 0; i--) c->block[c->used++] = (u8)(bits >> (8 * i));
  compress(c->state, c->block);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (u8)(c->state[i] >> 24);
    out[4 * i + 1] = (u8)(c->state[i] >> 16);
    out[4 * i + 2] = (u8)(c->state[i] >> 8);
    out[4 * i + 3] = (u8)c->state[i];
  }
}
