/* Port I/O and the serial console, for the purgatory's few lines. */
#ifndef KDK_PURGATORY_IO_H
#define KDK_PURGATORY_IO_H

#include "purgatory/types.h"

static inline void outb(u8 v, u16 port) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) {
  u8 v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

/* Writes text to the 16550 UART at `port` (0: nowhere). The UART is left as
 * the crashed kernel set it up; a port with no UART behind it reads 0xff, so
 * the wait for an empty transmitter is bounded either way. */
void serial_puts(u16 port, const char* s);
void serial_hex(u16 port, u64 v);
void serial_dec(u16 port, u64 v);

#endif
