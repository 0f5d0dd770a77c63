/*
 * kdumpkit toolchain: forced-include header (-include glibc_compat.h) for
 * every C++ translation unit of the static musl product.
 *
 * Debian 12 ships libstdc++ only for glibc. Its configuration headers
 * (x86_64-linux-gnu/c++/12/bits/...) therefore assume glibc: they test
 * __GLIBC_PREREQ, name the glibc-internal __locale_t type, build the
 * std::ctype_base masks from glibc's _IS* bit values and call a few
 * pthread_*clock* functions inline that musl 1.2.3 does not have. This
 * header supplies exactly those names so that the headers compile against
 * musl; the functions themselves live in glibc_shims.c (libglibcshim.a).
 *
 * Nothing here defines __GLIBC__: third-party and product code must keep
 * seeing a non-glibc libc.
 */
#ifndef KDK_GLIBC_COMPAT_H
#define KDK_GLIBC_COMPAT_H

#ifdef __cplusplus

#include <pthread.h>
#include <time.h>

/* Answer version tests as the glibc that libstdc++.a was configured
 * against (2.36, Debian 12) would, so the headers pick the same code paths
 * the library was built with (e.g. non-weak pthread references). */
#ifndef __GLIBC_PREREQ
#define __GLIBC_PREREQ(maj, min) ((2 << 16) + 36 >= ((maj) << 16) + (min))
#endif

/* glibc spells the locale handle __locale_t; in musl it is locale_t, a
 * pointer to the same-named struct. */
typedef struct __locale_struct *__locale_t;

/* Bit values of glibc's character classes on a little-endian machine, as
 * libstdc++'s gnu-linux ctype_base.h uses them for std::ctype_base::mask.
 * Bits 0..7 live in the high byte of the 16-bit table entry, bits 8..11
 * in the low byte. Only the values matter to the headers; the product
 * does not use std::ctype (no locales, see toolchain/README notes). */
#define KDK_GLIBC_ISBIT(b) ((b) < 8 ? ((1 << (b)) << 8) : ((1 << (b)) >> 8))
enum {
  _ISupper = KDK_GLIBC_ISBIT(0),
  _ISlower = KDK_GLIBC_ISBIT(1),
  _ISalpha = KDK_GLIBC_ISBIT(2),
  _ISdigit = KDK_GLIBC_ISBIT(3),
  _ISxdigit = KDK_GLIBC_ISBIT(4),
  _ISspace = KDK_GLIBC_ISBIT(5),
  _ISprint = KDK_GLIBC_ISBIT(6),
  _ISgraph = KDK_GLIBC_ISBIT(7),
  _ISblank = KDK_GLIBC_ISBIT(8),
  _IScntrl = KDK_GLIBC_ISBIT(9),
  _ISpunct = KDK_GLIBC_ISBIT(10),
  _ISalnum = KDK_GLIBC_ISBIT(11)
};
#undef KDK_GLIBC_ISBIT

/* glibc 2.30+ functions that libstdc++'s headers call inline
 * (_GLIBCXX_USE_PTHREAD_COND_CLOCKWAIT and friends are set in its
 * c++config.h). Implemented in glibc_shims.c. */
extern "C" {
int pthread_cond_clockwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
                           clockid_t clock, const struct timespec *abstime);
int pthread_mutex_clocklock(pthread_mutex_t *mutex, clockid_t clock,
                            const struct timespec *abstime);
int pthread_rwlock_clockrdlock(pthread_rwlock_t *rwlock, clockid_t clock,
                               const struct timespec *abstime);
int pthread_rwlock_clockwrlock(pthread_rwlock_t *rwlock, clockid_t clock,
                               const struct timespec *abstime);
}

#endif /* __cplusplus */
#endif /* KDK_GLIBC_COMPAT_H */
