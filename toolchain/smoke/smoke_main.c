/* C-only smoke program: checks musl.cmake's C link rule. */
#include <stdio.h>

#include "smoke_c.h"

int main(void) {
  int z = kdk_smoke_zlib(), l = kdk_smoke_lzo();
  if (z <= 0 || l <= 0) {
    printf("FAIL zlib=%d lzo=%d\n", z, l);
    return 1;
  }
  printf("OK\n");
  return 0;
}
