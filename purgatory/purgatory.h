/* The purgatory's parameter block: the contract between the loader (C++,
 * loader/kexec_load.cc) and the freestanding purgatory (C and assembly, this
 * folder). The purgatory is a flat binary; this block sits at a fixed offset
 * (KDK_PURGATORY_PARAMS_OFFSET) from its first byte. The build fills in the
 * layout fields (magic to mem_size, the test entry offsets); the loader fills
 * in the rest before it loads the image.
 *
 * Shared by C (freestanding, no libc headers), C++ and the assembler. */
#ifndef KDK_PURGATORY_H
#define KDK_PURGATORY_H

#define KDK_PURGATORY_PARAMS_OFFSET 16
#define KDK_PURGATORY_PARAMS_SIZE 832
#define KDK_PURGATORY_VERSION 1
#define KDK_PURGATORY_MAX_REGIONS 16
/* flags */
#define KDK_PURGATORY_RESET_ON_FAILURE 0x1 /* reset the machine after refusing */
#define KDK_PURGATORY_QUIET 0x2            /* print nothing on success */

/* Offsets inside the parameter block (checked against the struct below). */
#define KDK_PP_MAGIC 0
#define KDK_PP_VERSION 8
#define KDK_PP_PARAMS_SIZE 12
#define KDK_PP_IMAGE_SIZE 16
#define KDK_PP_MEM_SIZE 20
#define KDK_PP_SHA256_OFFSET 24
#define KDK_PP_VERIFY_OFFSET 28
#define KDK_PP_ENTRY_RIP 32
#define KDK_PP_ENTRY_RSI 40
#define KDK_PP_SERIAL_PORT 48
#define KDK_PP_FLAGS 50
#define KDK_PP_NR_REGIONS 52
#define KDK_PP_REGIONS 64

#ifndef __ASSEMBLER__

#ifdef __cplusplus
#include <cstddef>
#include <cstdint>
#define KDK_U8 std::uint8_t
#define KDK_U16 std::uint16_t
#define KDK_U32 std::uint32_t
#define KDK_U64 std::uint64_t
extern "C" {
#else
#define KDK_U8 unsigned char
#define KDK_U16 unsigned short
#define KDK_U32 unsigned int
#define KDK_U64 unsigned long long
#endif

/* One region the loader digested: [start, start + len) in physical memory
 * (identity mapped when the purgatory runs), and its SHA-256. */
struct kdk_purgatory_region {
  KDK_U64 start;
  KDK_U64 len;
  KDK_U8 sha256[32];
};

struct kdk_purgatory_params {
  char magic[8];       /* "KDKPURG" and a NUL (build) */
  KDK_U32 version;     /* KDK_PURGATORY_VERSION (build) */
  KDK_U32 params_size; /* sizeof this block (build) */
  KDK_U32 image_size;  /* bytes of the flat binary (build) */
  KDK_U32 mem_size;    /* bytes it needs in memory, its stack included (build) */
  /* For host tests only: offsets from the image's first byte of
   * kdk_purgatory_sha256() and kdk_purgatory_verify() (build). */
  KDK_U32 sha256_offset;
  KDK_U32 verify_offset;
  KDK_U64 entry_rip;   /* where to jump: the kernel's 64-bit entry (loader) */
  KDK_U64 entry_rsi;   /* rsi at the jump: boot_params (loader) */
  KDK_U16 serial_port; /* UART I/O base for messages, 0 for none (loader) */
  KDK_U16 flags;       /* KDK_PURGATORY_* (loader) */
  KDK_U32 nr_regions;  /* used entries of regions[] (loader) */
  KDK_U8 reserved[8];
  struct kdk_purgatory_region regions[KDK_PURGATORY_MAX_REGIONS]; /* (loader) */
};

/* SHA-256 of len bytes at data into out (the purgatory's own implementation). */
typedef void (*kdk_purgatory_sha256_fn)(const void* data, KDK_U64 len, KDK_U8 out[32]);
/* Checks every region against its digest: returns -1 when all match, else
 * the index of the first region that does not (nr_regions above the maximum
 * counts as a mismatch of region KDK_PURGATORY_MAX_REGIONS). */
typedef int (*kdk_purgatory_verify_fn)(const struct kdk_purgatory_params* params);

#ifdef __cplusplus
}
static_assert(sizeof(kdk_purgatory_region) == 48);
static_assert(sizeof(kdk_purgatory_params) == KDK_PURGATORY_PARAMS_SIZE);
static_assert(offsetof(kdk_purgatory_params, version) == KDK_PP_VERSION);
static_assert(offsetof(kdk_purgatory_params, mem_size) == KDK_PP_MEM_SIZE);
static_assert(offsetof(kdk_purgatory_params, verify_offset) == KDK_PP_VERIFY_OFFSET);
static_assert(offsetof(kdk_purgatory_params, entry_rip) == KDK_PP_ENTRY_RIP);
static_assert(offsetof(kdk_purgatory_params, entry_rsi) == KDK_PP_ENTRY_RSI);
static_assert(offsetof(kdk_purgatory_params, serial_port) == KDK_PP_SERIAL_PORT);
static_assert(offsetof(kdk_purgatory_params, nr_regions) == KDK_PP_NR_REGIONS);
static_assert(offsetof(kdk_purgatory_params, regions) == KDK_PP_REGIONS);
#else
_Static_assert(sizeof(struct kdk_purgatory_region) == 48, "region layout");
_Static_assert(sizeof(struct kdk_purgatory_params) == KDK_PURGATORY_PARAMS_SIZE, "params layout");
_Static_assert(__builtin_offsetof(struct kdk_purgatory_params, entry_rip) == KDK_PP_ENTRY_RIP, "entry_rip");
_Static_assert(__builtin_offsetof(struct kdk_purgatory_params, serial_port) == KDK_PP_SERIAL_PORT, "serial");
_Static_assert(__builtin_offsetof(struct kdk_purgatory_params, nr_regions) == KDK_PP_NR_REGIONS, "nr");
_Static_assert(__builtin_offsetof(struct kdk_purgatory_params, regions) == KDK_PP_REGIONS, "regions");
#endif

#endif /* __ASSEMBLER__ */
#endif /* KDK_PURGATORY_H */
