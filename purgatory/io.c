#include "purgatory/io.h"

enum { kLineStatus = 5, kTxEmpty = 0x20, kPollLimit = 100000 };

static void serial_putc(u16 port, char ch) {
  for (int i = 0; i < kPollLimit && !(inb((u16)(port + kLineStatus)) & kTxEmpty); i++) {
  }
  outb((u8)ch, port);
}

void serial_puts(u16 port, const char* s) {
  if (!port) return;
  for (; *s; s++) {
    if (*s == '\n') serial_putc(port, '\r');
    serial_putc(port, *s);
  }
}

void serial_hex(u16 port, u64 v) {
  char buf[19];
  buf[0] = '0';
  buf[1] = 'x';
  int n = 2;
  int shift = 60;
  while (shift > 0 && ((v >> shift) & 0xf) == 0) shift -= 4;
  for (; shift >= 0; shift -= 4) buf[n++] = "0123456789abcdef"[(v >> shift) & 0xf];
  buf[n] = 0;
  serial_puts(port, buf);
}

void serial_dec(u16 port, u64 v) {
  char buf[21];
  int n = 20;
  buf[n] = 0;
  do {
    buf[--n] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  serial_puts(port, buf + n);
}
