#include "agent/net/dhcp_packet.h"

#include "util/format.h"

namespace kdk::net {

namespace {

constexpr size_t kBootpFixed = 236;  // op .. file, before the magic cookie
constexpr uint8_t kCookie[4] = {99, 130, 83, 99};

enum Option : uint8_t {
  kPad = 0,
  kSubnetMask = 1,
  kRouter = 3,
  kDns = 6,
  kHostName = 12,
  kDomainName = 15,
  kRequestedIp = 50,
  kLeaseTime = 51,
  kOverload = 52,
  kMessageType = 53,
  kServerId = 54,
  kParameterList = 55,
  kMessage = 56,
  kEnd = 255,
};

void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

void option(std::vector<uint8_t>& b, uint8_t code, const std::vector<uint8_t>& value) {
  b.push_back(code);
  b.push_back(static_cast<uint8_t>(value.size()));
  b.insert(b.end(), value.begin(), value.end());
}
std::vector<uint8_t> bytes32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
          static_cast<uint8_t>(v)};
}

// The ones' complement sum of RFC 1071 over `size` bytes, added to `sum`.
uint32_t sum16(const uint8_t* p, size_t size, uint32_t sum) {
  for (size_t i = 0; i + 1 < size; i += 2) sum += get16(p + i);
  if (size & 1) sum += static_cast<uint32_t>(p[size - 1]) << 8;
  return sum;
}
uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

Result<std::vector<Ipv4>> addresses(const uint8_t* p, size_t n, const char* what) {
  if (n == 0 || n % 4 != 0) return Error{format("option %s has length %zu, not a multiple of 4", what, n)};
  std::vector<Ipv4> out;
  for (size_t i = 0; i < n; i += 4) out.push_back(get32(p + i));
  return out;
}

}  // namespace

std::string ipv4_text(Ipv4 a) {
  return format("%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

const char* dhcp_type_name(DhcpType t) {
  switch (t) {
    case DhcpType::kDiscover:
      return "DHCPDISCOVER";
    case DhcpType::kOffer:
      return "DHCPOFFER";
    case DhcpType::kRequest:
      return "DHCPREQUEST";
    case DhcpType::kDecline:
      return "DHCPDECLINE";
    case DhcpType::kAck:
      return "DHCPACK";
    case DhcpType::kNak:
      return "DHCPNAK";
    case DhcpType::kRelease:
      return "DHCPRELEASE";
    case DhcpType::kNone:
      break;
  }
  return "BOOTP";
}

std::vector<uint8_t> encode_dhcp(const DhcpMessage& m) {
  std::vector<uint8_t> b(kBootpFixed, 0);
  b[0] = m.op;
  b[1] = 1;  // htype: Ethernet
  b[2] = 6;  // hlen
  put32(b, 4, m.xid);
  put16(b, 8, m.secs);
  put16(b, 10, m.broadcast ? 0x8000 : 0);
  put32(b, 12, m.ciaddr);
  put32(b, 16, m.yiaddr);
  put32(b, 20, m.siaddr);
  put32(b, 24, m.giaddr);
  for (size_t i = 0; i < 6; ++i) b[28 + i] = m.chaddr[i];
  b.insert(b.end(), kCookie, kCookie + 4);
  if (m.type != DhcpType::kNone) option(b, kMessageType, {static_cast<uint8_t>(m.type)});
  if (m.requested_ip) option(b, kRequestedIp, bytes32(*m.requested_ip));
  if (m.server_id) option(b, kServerId, bytes32(*m.server_id));
  if (m.subnet_mask) option(b, kSubnetMask, bytes32(*m.subnet_mask));
  if (m.lease_seconds) option(b, kLeaseTime, bytes32(*m.lease_seconds));
  auto list = [&](uint8_t code, const std::vector<Ipv4>& v) {
    if (v.empty()) return;
    std::vector<uint8_t> value;
    for (Ipv4 a : v) {
      auto x = bytes32(a);
      value.insert(value.end(), x.begin(), x.end());
    }
    option(b, code, value);
  };
  list(kRouter, m.routers);
  list(kDns, m.dns);
  auto text = [&](uint8_t code, const std::string& s) {
    if (!s.empty())
      option(b, code, std::vector<uint8_t>(s.begin(), s.begin() + std::min<size_t>(s.size(), 255)));
  };
  text(kHostName, m.host_name);
  text(kDomainName, m.domain_name);
  text(kMessage, m.message);
  if (!m.parameter_requests.empty()) option(b, kParameterList, m.parameter_requests);
  b.push_back(kEnd);
  // BOOTP's minimum message; some relays and old servers drop shorter ones.
  if (b.size() < 300) b.resize(300, kPad);
  return b;
}

Result<DhcpMessage> decode_dhcp(const uint8_t* data, size_t size) {
  if (size < kBootpFixed + 4) return Error{format("DHCP message of %zu bytes is shorter than 240", size)};
  if (data[1] != 1 || data[2] != 6) {
    return Error{format("DHCP message for hardware type %u length %u, not Ethernet", data[1], data[2])};
  }
  for (int i = 0; i < 4; ++i) {
    if (data[kBootpFixed + i] != kCookie[i])
      return Error{"DHCP message without the magic cookie (plain BOOTP)"};
  }
  DhcpMessage m;
  m.op = data[0];
  m.xid = get32(data + 4);
  m.secs = get16(data + 8);
  m.broadcast = (get16(data + 10) & 0x8000) != 0;
  m.ciaddr = get32(data + 12);
  m.yiaddr = get32(data + 16);
  m.siaddr = get32(data + 20);
  m.giaddr = get32(data + 24);
  for (size_t i = 0; i < 6; ++i) m.chaddr[i] = data[28 + i];
  size_t i = kBootpFixed + 4;
  bool ended = false;
  while (i < size) {
    uint8_t code = data[i];
    if (code == kPad) {
      ++i;
      continue;
    }
    if (code == kEnd) {
      ended = true;
      break;
    }
    if (i + 1 >= size) return Error{format("DHCP option %u at offset %zu has no length", code, i)};
    size_t n = data[i + 1];
    const uint8_t* v = data + i + 2;
    if (i + 2 + n > size) {
      return Error{
          format("DHCP option %u at offset %zu: length %zu runs past the end (%zu bytes)", code, i, n, size)};
    }
    auto need = [&](size_t want, const char* what) -> Status {
      if (n != want) return Error{format("DHCP option %s has length %zu, expected %zu", what, n, want)};
      return {};
    };
    switch (code) {
      case kMessageType:
        if (auto s = need(1, "message type"); !s) return s.error();
        m.type = static_cast<DhcpType>(v[0]);
        break;
      case kSubnetMask:
        if (auto s = need(4, "subnet mask"); !s) return s.error();
        m.subnet_mask = get32(v);
        break;
      case kLeaseTime:
        if (auto s = need(4, "lease time"); !s) return s.error();
        m.lease_seconds = get32(v);
        break;
      case kServerId:
        if (auto s = need(4, "server identifier"); !s) return s.error();
        m.server_id = get32(v);
        break;
      case kRequestedIp:
        if (auto s = need(4, "requested address"); !s) return s.error();
        m.requested_ip = get32(v);
        break;
      case kRouter: {
        auto a = addresses(v, n, "router");
        if (!a) return a.error();
        m.routers = *a;
        break;
      }
      case kDns: {
        auto a = addresses(v, n, "DNS servers");
        if (!a) return a.error();
        m.dns = *a;
        break;
      }
      case kHostName:
        m.host_name.assign(v, v + n);
        break;
      case kDomainName:
        m.domain_name.assign(v, v + n);
        break;
      case kMessage:
        m.message.assign(v, v + n);
        break;
      case kParameterList:
        m.parameter_requests.assign(v, v + n);
        break;
      case kOverload:
        // Options continued in the sname/file fields: no server we know of
        // does this for the few options we read, so it is refused loudly.
        return Error{"DHCP option overload (52) is not supported"};
      default:
        break;
    }
    i += 2 + n;
  }
  if (!ended) return Error{"DHCP options end without the end option (255)"};
  if (m.type == DhcpType::kNone) return Error{"DHCP message without a message type (option 53)"};
  return m;
}

std::vector<uint8_t> encode_ipv4_udp(const UdpDatagram& d) {
  size_t udp_len = 8 + d.payload.size();
  std::vector<uint8_t> b(20 + udp_len, 0);
  b[0] = 0x45;  // version 4, 5 words of header
  put16(b, 2, static_cast<uint16_t>(b.size()));
  b[8] = 64;  // TTL
  b[9] = 17;  // UDP
  put32(b, 12, d.source);
  put32(b, 16, d.destination);
  put16(b, 10, fold(sum16(b.data(), 20, 0)));
  put16(b, 20, d.source_port);
  put16(b, 22, d.destination_port);
  put16(b, 24, static_cast<uint16_t>(udp_len));
  std::copy(d.payload.begin(), d.payload.end(), b.begin() + 28);
  // Pseudo header: addresses, protocol, UDP length.
  uint32_t sum = sum16(b.data() + 12, 8, 0) + 17 + static_cast<uint32_t>(udp_len);
  uint16_t check = fold(sum16(b.data() + 20, udp_len, sum));
  put16(b, 26, check == 0 ? 0xffff : check);
  return b;
}

Result<UdpDatagram> decode_ipv4_udp(const uint8_t* data, size_t size) {
  if (size < 20) return Error{format("IPv4 packet of %zu bytes", size)};
  if ((data[0] >> 4) != 4) return Error{format("IP version %u, not 4", data[0] >> 4)};
  size_t ihl = static_cast<size_t>(data[0] & 0xf) * 4;
  size_t total = get16(data + 2);
  if (ihl < 20 || total < ihl + 8 || total > size) {
    return Error{format("IPv4 header length %zu, total %zu, captured %zu: inconsistent", ihl, total, size)};
  }
  if (fold(sum16(data, ihl, 0)) != 0) return Error{"IPv4 header checksum mismatch"};
  if (data[9] != 17) return Error{format("IPv4 protocol %u, not UDP", data[9])};
  if ((get16(data + 6) & 0x3fff) != 0) return Error{"fragmented IPv4 packet"};
  const uint8_t* u = data + ihl;
  size_t udp_len = get16(u + 4);
  if (udp_len < 8 || ihl + udp_len > total)
    return Error{format("UDP length %zu does not fit the packet", udp_len)};
  UdpDatagram d;
  d.source = get32(data + 12);
  d.destination = get32(data + 16);
  d.source_port = get16(u);
  d.destination_port = get16(u + 2);
  d.payload.assign(u + 8, u + udp_len);
  return d;
}

Result<int> netmask_prefix(Ipv4 mask) {
  int prefix = 0;
  while (prefix < 32 && (mask & (0x80000000u >> prefix))) ++prefix;
  uint32_t expected = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
  if (mask != expected) return Error{"netmask " + ipv4_text(mask) + " is not contiguous"};
  return prefix;
}

}  // namespace kdk::net
