/* Fixed-width types for the freestanding purgatory (built with -nostdinc). */
#ifndef KDK_PURGATORY_TYPES_H
#define KDK_PURGATORY_TYPES_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned long uptr;

_Static_assert(sizeof(u32) == 4 && sizeof(u64) == 8 && sizeof(uptr) == sizeof(void*), "LP64");

/* Everything is hidden: references stay RIP-relative, no GOT, no relocations. */
#pragma GCC visibility push(hidden)

#endif
