/*
 * kdumpkit toolchain: glibc-only functions that Debian's glibc-built
 * libstdc++.a / libgcc_eh.a (or the inline code of libstdc++'s headers)
 * need and that musl 1.2.3 does not provide. Compiled with musl-gcc into
 * libglibcshim.a and linked after libstdc++ in the static product.
 *
 * toolchain/check-libstdcxx-symbols.sh verifies at build time that this
 * file, musl's libc.a and libgcc together resolve every symbol those
 * archives need.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#define KDK_EXPORT __attribute__((visibility("default")))

/* ------------------------------------------------------------------------
 * __libc_single_threaded (glibc 2.32): libstdc++ skips atomic reference
 * counting while it is non-zero. 0 means "maybe multi-threaded", which is
 * always correct; it only costs an atomic instruction.
 */
KDK_EXPORT char __libc_single_threaded = 0;

/* ------------------------------------------------------------------------
 * arc4random (glibc 2.36): used by std::random_device("default").
 * Taken from the kernel's CSPRNG; there is no sane way to continue
 * without randomness, so failure aborts.
 */
KDK_EXPORT uint32_t arc4random(void) {
  uint32_t value;
  unsigned char *p = (unsigned char *)&value;
  size_t got = 0;
  while (got < sizeof value) {
    ssize_t n = getrandom(p + got, sizeof value - got, 0);
    if (n > 0) {
      got += (size_t)n;
    } else if (n < 0 && errno != EINTR) {
      abort();
    }
  }
  return value;
}

/* ------------------------------------------------------------------------
 * _dl_find_object (glibc 2.35): libgcc's unwinder (_Unwind_Find_FDE in
 * libgcc_eh.a) asks it for the PT_GNU_EH_FRAME segment of the object that
 * contains a code address. If it fails, the unwinder finds no FDE and every
 * C++ throw ends in std::terminate. Layout as glibc declares it for
 * x86_64 (no eh_dbase, no eh_count members).
 */
struct link_map;
struct dl_find_object {
  unsigned long long dlfo_flags;
  void *dlfo_map_start;
  void *dlfo_map_end;
  struct link_map *dlfo_link_map;
  void *dlfo_eh_frame;
  unsigned long long dlfo_reserved[7];
};

struct kdk_find_request {
  uintptr_t address;
  struct dl_find_object *result;
  int found;
};

static int kdk_find_in_object(struct dl_phdr_info *info, size_t size,
                              void *arg) {
  struct kdk_find_request *req = arg;
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  const ElfW(Phdr) *eh = NULL;
  int contains = 0;
  (void)size;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_LOAD) {
      uintptr_t start = info->dlpi_addr + ph->p_vaddr;
      uintptr_t end = start + ph->p_memsz;
      if (start < lo) lo = start;
      if (end > hi) hi = end;
      if (req->address >= start && req->address < end) contains = 1;
    } else if (ph->p_type == PT_GNU_EH_FRAME) {
      eh = ph;
    }
  }
  if (!contains) return 0;
  req->result->dlfo_flags = 0;
  req->result->dlfo_map_start = (void *)lo;
  req->result->dlfo_map_end = (void *)hi;
  req->result->dlfo_link_map = NULL;
  req->result->dlfo_eh_frame =
      eh ? (void *)(info->dlpi_addr + eh->p_vaddr) : NULL;
  req->found = 1;
  return 1; /* stop iterating */
}

KDK_EXPORT int _dl_find_object(void *address, struct dl_find_object *result) {
  struct kdk_find_request req = {(uintptr_t)address, result, 0};
  dl_iterate_phdr(kdk_find_in_object, &req);
  return req.found ? 0 : -1;
}

/* ------------------------------------------------------------------------
 * __cxa_thread_atexit_impl (glibc 2.18): destructors of thread_local
 * objects. libstdc++'s __cxa_thread_atexit forwards to it. Each thread
 * keeps a LIFO list; a pthread key destructor runs it when the thread
 * exits, and an atexit handler runs the exiting thread's list at exit().
 */
struct kdk_tls_dtor {
  void (*fn)(void *);
  void *obj;
  struct kdk_tls_dtor *next;
};

static __thread struct kdk_tls_dtor *kdk_tls_dtors;
static __thread int kdk_tls_armed;
static pthread_key_t kdk_tls_key;
static pthread_once_t kdk_tls_once = PTHREAD_ONCE_INIT;
static int kdk_atexit_registered;

static void kdk_run_tls_dtors(void) {
  /* A destructor may register further destructors: drain until empty. */
  while (kdk_tls_dtors) {
    struct kdk_tls_dtor *d = kdk_tls_dtors;
    kdk_tls_dtors = d->next;
    d->fn(d->obj);
    free(d);
  }
}

static void kdk_tls_key_dtor(void *unused) {
  (void)unused;
  kdk_run_tls_dtors();
}

/* Like glibc, exit() runs the thread_local destructors of the thread that
 * calls it (normally main). Unlike glibc they run in atexit order, i.e.
 * before the handlers registered earlier and after those registered later
 * than the first thread_local of the process. */
static void kdk_exit_tls_dtors(void) { kdk_run_tls_dtors(); }

static void kdk_tls_init(void) {
  if (pthread_key_create(&kdk_tls_key, kdk_tls_key_dtor) != 0) abort();
}

KDK_EXPORT int __cxa_thread_atexit_impl(void (*fn)(void *), void *obj,
                                        void *dso_symbol) {
  (void)dso_symbol; /* static binary: nothing can be unloaded */
  struct kdk_tls_dtor *d = malloc(sizeof *d);
  if (!d) return -1;
  pthread_once(&kdk_tls_once, kdk_tls_init);
  if (!kdk_tls_armed) {
    kdk_tls_armed = 1;
    /* Non-NULL value so the key destructor fires at pthread_exit. */
    pthread_setspecific(kdk_tls_key, &kdk_tls_armed);
    /* exit() does not run key destructors: one atexit handler covers the
     * exiting thread. */
    if (!__atomic_exchange_n(&kdk_atexit_registered, 1, __ATOMIC_ACQ_REL))
      atexit(kdk_exit_tls_dtors);
  }
  d->fn = fn;
  d->obj = obj;
  d->next = kdk_tls_dtors;
  kdk_tls_dtors = d;
  return 0;
}

/* ------------------------------------------------------------------------
 * pthread_*clock* (glibc 2.30): called inline by <condition_variable>,
 * <mutex> and <shared_mutex> for steady_clock timeouts. musl's timed
 * variants measure CLOCK_REALTIME, so the absolute time on CLOCK is turned
 * into the same remaining interval on CLOCK_REALTIME. libstdc++ re-reads
 * the clock after a timeout, so a realtime jump only makes a wait end
 * early or late, never report a wrong result.
 */
static int kdk_to_realtime(clockid_t clock, const struct timespec *abstime,
                           struct timespec *out) {
  if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) return EINVAL;
  if (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000L) return EINVAL;
  if (clock == CLOCK_REALTIME) {
    *out = *abstime;
    return 0;
  }
  struct timespec now_c, now_rt;
  clock_gettime(clock, &now_c);
  clock_gettime(CLOCK_REALTIME, &now_rt);
  long long sec = (long long)abstime->tv_sec - now_c.tv_sec + now_rt.tv_sec;
  long nsec = abstime->tv_nsec - now_c.tv_nsec + now_rt.tv_nsec;
  while (nsec < 0) {
    nsec += 1000000000L;
    sec--;
  }
  while (nsec >= 1000000000L) {
    nsec -= 1000000000L;
    sec++;
  }
  if (sec < 0) { /* already expired: any past time will do */
    sec = 0;
    nsec = 0;
  }
  out->tv_sec = (time_t)sec;
  out->tv_nsec = nsec;
  return 0;
}

KDK_EXPORT int pthread_cond_clockwait(pthread_cond_t *cond,
                                      pthread_mutex_t *mutex, clockid_t clock,
                                      const struct timespec *abstime) {
  struct timespec rt;
  int err = kdk_to_realtime(clock, abstime, &rt);
  return err ? err : pthread_cond_timedwait(cond, mutex, &rt);
}

KDK_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *mutex, clockid_t clock,
                                       const struct timespec *abstime) {
  struct timespec rt;
  int err = kdk_to_realtime(clock, abstime, &rt);
  return err ? err : pthread_mutex_timedlock(mutex, &rt);
}

KDK_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *rwlock,
                                          clockid_t clock,
                                          const struct timespec *abstime) {
  struct timespec rt;
  int err = kdk_to_realtime(clock, abstime, &rt);
  return err ? err : pthread_rwlock_timedrdlock(rwlock, &rt);
}

KDK_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *rwlock,
                                          clockid_t clock,
                                          const struct timespec *abstime) {
  struct timespec rt;
  int err = kdk_to_realtime(clock, abstime, &rt);
  return err ? err : pthread_rwlock_timedwrlock(rwlock, &rt);
}
