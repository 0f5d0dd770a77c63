/* memhog ANON_MIB [HUGE_PAGES]: the guest-side helper of qemu/fixtures.sh.
 * Holds ANON_MIB MiB of anonymous memory (every page written with a
 * non-zero pattern, so none of it is a zero page) and, if it can,
 * HUGE_PAGES hugetlb pages (which must be reserved in
 * /proc/sys/vm/nr_hugepages first), prints one "memhog: ready ..." line and
 * sleeps until killed. Built static (musl-gcc -static) by qemu/fixtures.sh. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void fill(unsigned char *p, size_t len, unsigned tag) {
  for (size_t off = 0; off < len; off += 4096) {
    /* Distinct, non-zero content per page. */
    unsigned long words[4] = {0x6b646b2d6d656d68UL, tag, off / 4096, ~(off / 4096)};
    for (size_t i = 0; i < 4096; i += sizeof words) memcpy(p + off + i, words, sizeof words);
  }
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: memhog ANON_MIB [HUGE_PAGES]\n");
    return 2;
  }
  size_t anon = strtoul(argv[1], NULL, 10) << 20;
  size_t huge_pages = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;

  unsigned char *a = mmap(NULL, anon, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (a == MAP_FAILED) {
    perror("memhog: mmap anonymous");
    return 1;
  }
  /* Keep THP out of it: plain 4 KiB anonymous pages are what user-page
   * exclusion is mostly about. */
  madvise(a, anon, MADV_NOHUGEPAGE);
  fill(a, anon, 1);

  size_t huge_len = huge_pages * (2UL << 20), huge_got = 0;
  if (huge_len) {
    unsigned char *h = mmap(NULL, huge_len, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    if (h == MAP_FAILED) {
      perror("memhog: mmap MAP_HUGETLB (continuing without)");
    } else {
      fill(h, huge_len, 2);
      huge_got = huge_pages;
    }
  }
  printf("memhog: ready anon_mib=%zu huge_pages=%zu pid=%d\n", anon >> 20, huge_got, (int)getpid());
  fflush(stdout);
  for (;;) pause();
}
