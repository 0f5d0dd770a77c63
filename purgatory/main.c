/* The purgatory's C part: runs between the old kernel and the new one, on
 * the purgatory's own GDT and stack (entry.S), interrupts off, all memory
 * identity mapped. Verifies the loaded segments and returns to entry.S,
 * which jumps to the kernel; never returns when a digest differs. */
#include "purgatory/io.h"
#include "purgatory/purgatory.h"

int kdk_purgatory_verify(const struct kdk_purgatory_params* p);

static void halt_forever(void) {
  for (;;) __asm__ volatile("cli; hlt");
}

/* Resets the machine: the PCI reset control register (0xcf9), then the
 * keyboard controller's reset line, then a triple fault (an empty IDT). */
static void reset_machine(void) {
  outb(0x02, 0xcf9);
  for (volatile int i = 0; i < 100000; i++) {
  }
  outb(0x06, 0xcf9);
  for (volatile int i = 0; i < 1000000; i++) {
  }
  for (int i = 0; i < 10; i++) {
    for (volatile int j = 0; j < 100000 && (inb(0x64) & 0x02); j++) {
    }
    outb(0xfe, 0x64);
  }
  struct __attribute__((packed)) {
    u16 limit;
    u64 base;
  } empty = {0, 0};
  __asm__ volatile("lidt %0; int3" : : "m"(empty));
}

void kdk_purgatory_main(const struct kdk_purgatory_params* p) {
  u16 port = p->serial_port;
  int bad = kdk_purgatory_verify(p);
  if (bad < 0) {
    if (!(p->flags & KDK_PURGATORY_QUIET)) {
      serial_puts(port, "kdumpkit purgatory: sha256 of ");
      serial_dec(port, p->nr_regions);
      serial_puts(port, " segments verified, starting the kernel at ");
      serial_hex(port, p->entry_rip);
      serial_puts(port, "\n");
    }
    return;
  }
  serial_puts(port, "kdumpkit purgatory: sha256 mismatch in segment ");
  if ((u32)bad < p->nr_regions && (u32)bad < KDK_PURGATORY_MAX_REGIONS) {
    serial_dec(port, (u64)bad);
    serial_puts(port, " (");
    serial_hex(port, p->regions[bad].start);
    serial_puts(port, "+");
    serial_hex(port, p->regions[bad].len);
    serial_puts(port, ")");
  } else {
    serial_puts(port, "list (bad count)");
  }
  serial_puts(port, ": refusing to start the kernel\n");
  if (p->flags & KDK_PURGATORY_RESET_ON_FAILURE) {
    serial_puts(port, "kdumpkit purgatory: resetting the machine\n");
    reset_machine();
  }
  halt_forever();
}

/* The compiler may call these for struct copies and loops. */
void* memset(void* d, int c, uptr n) {
  u8* p = (u8*)d;
  while (n--) *p++ = (u8)c;
  return d;
}

void* memcpy(void* d, const void* s, uptr n) {
  u8* p = (u8*)d;
  const u8* q = (const u8*)s;
  while (n--) *p++ = *q++;
  return d;
}
