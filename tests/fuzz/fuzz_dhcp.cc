// Fuzz target: the DHCP client's decoders. Whatever arrives on the wire in
// the capture kernel (any host on the segment can send it) must be refused
// or decoded, never crash PID 1.
#include <cstddef>
#include <cstdint>

#include "agent/net/dhcp_packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto udp = kdk::net::decode_ipv4_udp(data, size);
  if (udp) (void)kdk::net::decode_dhcp(udp->payload.data(), udp->payload.size());
  (void)kdk::net::decode_dhcp(data, size);
  return 0;
}
