#include "util/rtnetlink.h"

#include <arpa/inet.h>
#include <linux/if_arp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "util/fd.h"
#include "util/format.h"
#include "util/text.h"

namespace kdk::rtnl {

bool Link::loopback() const { return (flags & IFF_LOOPBACK) != 0; }

bool Link::running() const {
  // IFF_RUNNING mirrors the carrier; operstate UP (6) or UNKNOWN (0, drivers
  // that do not report it) with IFF_RUNNING both mean the link can be used.
  return (flags & IFF_UP) != 0 && (flags & IFF_RUNNING) != 0 &&
         (operstate == IF_OPER_UP || operstate == IF_OPER_UNKNOWN);
}

std::string IpPrefix::address() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (!inet_ntop(family, bytes, buf, sizeof buf)) return "?";
  return buf;
}

std::string IpPrefix::cidr() const { return address() + "/" + std::to_string(prefix); }

Result<IpPrefix> parse_address(const std::string& text) {
  IpPrefix p;
  if (inet_pton(AF_INET, text.c_str(), p.bytes) == 1) {
    p.family = AF_INET;
    p.prefix = 32;
  } else if (inet_pton(AF_INET6, text.c_str(), p.bytes) == 1) {
    p.family = AF_INET6;
    p.prefix = 128;
  } else {
    return Error{"\"" + text + "\" is not an IPv4 or IPv6 address"};
  }
  return p;
}

Result<IpPrefix> parse_prefix(const std::string& text) {
  size_t slash = text.find('/');
  auto p = parse_address(text.substr(0, slash));
  if (!p) return p.error();
  if (slash == std::string::npos) return p;
  unsigned long long n = 0;
  int max = p->family == AF_INET ? 32 : 128;
  if (!parse_u64(text.substr(slash + 1), n) || n > static_cast<unsigned>(max)) {
    return Error{format("\"%s\": the prefix length must be 0..%d", text.c_str(), max)};
  }
  p->prefix = static_cast<int>(n);
  return p;
}

namespace {

// A request under construction: header, fixed part, attributes.
class Message {
 public:
  Message(uint16_t type, uint16_t flags) : buf_(NLMSG_HDRLEN, 0) {
    hdr()->nlmsg_type = type;
    hdr()->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  }
  template <class T>
  void put_fixed(const T& value) {
    append(&value, sizeof value);
  }
  void put_attr(uint16_t type, const void* data, size_t size) {
    struct rtattr rta {};
    rta.rta_type = type;
    rta.rta_len = static_cast<unsigned short>(RTA_LENGTH(size));
    append(&rta, sizeof rta);
    append(data, size);
  }
  nlmsghdr* finish(uint32_t seq) {
    hdr()->nlmsg_len = static_cast<uint32_t>(buf_.size());
    hdr()->nlmsg_seq = seq;
    return hdr();
  }

 private:
  nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  void append(const void* data, size_t size) {
    const auto* p = static_cast<const char*>(data);
    buf_.insert(buf_.end(), p, p + size);
    buf_.resize(NLMSG_ALIGN(buf_.size()), 0);
  }
  std::string buf_;
};

// Sends one request and calls `each` for every reply message until the
// kernel's acknowledgement (NLMSG_ERROR with 0) or the end of a dump.
Status transact(Message& msg, const std::function<void(const nlmsghdr*)>& each, const char* what) {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd.valid()) return Error::from_errno(errno, "netlink socket");
  static uint32_t seq = 1;
  nlmsghdr* req = msg.finish(++seq);
  struct sockaddr_nl kernel {};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd.get(), req, req->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    return Error::from_errno(errno, std::string("netlink ") + what);
  }
  std::string buf(1 << 16, '\0');
  for (;;) {
    ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, std::string("netlink ") + what);
    }
    // Walk the messages by offset: each header must fit, and its length must fit what is left.
    const auto received = static_cast<size_t>(n);
    for (size_t at = 0; at + sizeof(nlmsghdr) <= received;) {
      auto* h = reinterpret_cast<nlmsghdr*>(buf.data() + at);
      if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > received - at) break;
      at += NLMSG_ALIGN(h->nlmsg_len);
      if (h->nlmsg_seq != req->nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) return {};
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
        if (err->error == 0) return {};
        return Error::from_errno(-err->error, std::string("netlink ") + what);
      }
      each(h);
      // A reply that is not part of a dump is the whole answer.
      if ((h->nlmsg_flags & NLM_F_MULTI) == 0 && (req->nlmsg_flags & NLM_F_ACK) == 0) return {};
    }
  }
}

template <class Fn>
void for_each_attr(const rtattr* rta, int len, Fn fn) {
  for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) fn(rta);
}

std::string format_mac(const unsigned char* p, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += format(i ? ":%02x" : "%02x", p[i]);
  return out;
}

IpPrefix prefix_from(int family, const void* data, int prefix) {
  IpPrefix p;
  p.family = family;
  std::memcpy(p.bytes, data, family == AF_INET ? 4 : 16);
  p.prefix = prefix;
  return p;
}

size_t address_size(int family) { return family == AF_INET ? 4 : 16; }

}  // namespace

Result<std::vector<Link>> list_links() {
  Message msg(RTM_GETLINK, NLM_F_DUMP);
  msg.put_fixed(ifinfomsg{});
  std::vector<Link> out;
  auto s = transact(
      msg,
      [&](const nlmsghdr* h) {
        if (h->nlmsg_type != RTM_NEWLINK) return;
        const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
        Link l;
        l.index = ifi->ifi_index;
        l.flags = ifi->ifi_flags;
        for_each_attr(IFLA_RTA(ifi), static_cast<int>(IFLA_PAYLOAD(h)), [&](const rtattr* a) {
          if (a->rta_type == IFLA_IFNAME) l.name = static_cast<const char*>(RTA_DATA(a));
          if (a->rta_type == IFLA_OPERSTATE) l.operstate = *static_cast<const uint8_t*>(RTA_DATA(a));
          if (a->rta_type == IFLA_ADDRESS && ifi->ifi_type != ARPHRD_LOOPBACK) {
            l.mac = format_mac(static_cast<const unsigned char*>(RTA_DATA(a)), RTA_PAYLOAD(a));
          }
        });
        out.push_back(std::move(l));
      },
      "list links");
  if (!s) return s.error();
  return out;
}

Result<std::vector<Address>> list_addresses() {
  Message msg(RTM_GETADDR, NLM_F_DUMP);
  msg.put_fixed(ifaddrmsg{});
  std::vector<Address> out;
  auto s = transact(
      msg,
      [&](const nlmsghdr* h) {
        if (h->nlmsg_type != RTM_NEWADDR) return;
        const auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
        Address a;
        a.index = static_cast<int>(ifa->ifa_index);
        a.scope = ifa->ifa_scope;
        bool have = false;
        for_each_attr(IFA_RTA(ifa), static_cast<int>(IFA_PAYLOAD(h)), [&](const rtattr* r) {
          // IFA_LOCAL is the address on point-to-point links; IFA_ADDRESS otherwise.
          if ((r->rta_type == IFA_LOCAL || (r->rta_type == IFA_ADDRESS && !have)) &&
              RTA_PAYLOAD(r) == address_size(ifa->ifa_family)) {
            a.prefix = prefix_from(ifa->ifa_family, RTA_DATA(r), ifa->ifa_prefixlen);
            have = true;
          }
        });
        if (have) out.push_back(a);
      },
      "list addresses");
  if (!s) return s.error();
  return out;
}

namespace {

Route parse_route(const nlmsghdr* h) {
  const auto* rtm = static_cast<const rtmsg*>(NLMSG_DATA(h));
  Route r;
  r.family = rtm->rtm_family;
  for_each_attr(RTM_RTA(rtm), static_cast<int>(RTM_PAYLOAD(h)), [&](const rtattr* a) {
    if (RTA_PAYLOAD(a) == address_size(rtm->rtm_family)) {
      if (a->rta_type == RTA_DST)
        r.destination = prefix_from(rtm->rtm_family, RTA_DATA(a), rtm->rtm_dst_len).cidr();
      if (a->rta_type == RTA_GATEWAY) r.gateway = prefix_from(rtm->rtm_family, RTA_DATA(a), 0).address();
      if (a->rta_type == RTA_PREFSRC) r.source = prefix_from(rtm->rtm_family, RTA_DATA(a), 0).address();
    }
    if (a->rta_type == RTA_OIF) r.oif = *static_cast<const int*>(RTA_DATA(a));
  });
  return r;
}

}  // namespace

Result<std::vector<Route>> list_routes() {
  Message msg(RTM_GETROUTE, NLM_F_DUMP);
  msg.put_fixed(rtmsg{});
  std::vector<Route> out;
  auto s = transact(
      msg,
      [&](const nlmsghdr* h) {
        if (h->nlmsg_type != RTM_NEWROUTE) return;
        const auto* rtm = static_cast<const rtmsg*>(NLMSG_DATA(h));
        if (rtm->rtm_table != RT_TABLE_MAIN) return;
        out.push_back(parse_route(h));
      },
      "list routes");
  if (!s) return s.error();
  return out;
}

Status set_link_up(int index) {
  Message msg(RTM_NEWLINK, NLM_F_ACK);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  msg.put_fixed(ifi);
  return transact(
      msg, [](const nlmsghdr*) {}, format("set link %d up", index).c_str());
}

Status add_address(int index, const IpPrefix& address) {
  Message msg(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  ifaddrmsg ifa{};
  ifa.ifa_family = static_cast<unsigned char>(address.family);
  ifa.ifa_prefixlen = static_cast<unsigned char>(address.prefix);
  ifa.ifa_index = static_cast<unsigned>(index);
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  if (address.family == AF_INET6) ifa.ifa_flags = IFA_F_NODAD;
  msg.put_fixed(ifa);
  size_t n = address_size(address.family);
  msg.put_attr(IFA_LOCAL, address.bytes, n);
  msg.put_attr(IFA_ADDRESS, address.bytes, n);
  if (address.family == AF_INET6) {
    uint32_t flags = IFA_F_NODAD;
    msg.put_attr(IFA_FLAGS, &flags, sizeof flags);
  }
  if (address.family == AF_INET && address.prefix < 31) {
    // The broadcast address, as `ip addr add ... brd +` sets it.
    uint32_t a = 0;
    std::memcpy(&a, address.bytes, 4);
    uint32_t host_mask = address.prefix == 0 ? 0xffffffffu : (0xffffffffu >> address.prefix);
    uint32_t brd = htonl(ntohl(a) | host_mask);
    msg.put_attr(IFA_BROADCAST, &brd, 4);
  }
  return transact(
      msg, [](const nlmsghdr*) {}, ("add address " + address.cidr()).c_str());
}

Status add_default_route(int index, const IpPrefix& gateway) {
  Message msg(RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  rtmsg rtm{};
  rtm.rtm_family = static_cast<unsigned char>(gateway.family);
  rtm.rtm_table = RT_TABLE_MAIN;
  rtm.rtm_protocol = RTPROT_BOOT;
  rtm.rtm_scope = RT_SCOPE_UNIVERSE;
  rtm.rtm_type = RTN_UNICAST;
  msg.put_fixed(rtm);
  msg.put_attr(RTA_GATEWAY, gateway.bytes, address_size(gateway.family));
  msg.put_attr(RTA_OIF, &index, sizeof index);
  return transact(
      msg, [](const nlmsghdr*) {}, ("add default route via " + gateway.address()).c_str());
}

Result<Route> route_to(const IpPrefix& destination) {
  Message msg(RTM_GETROUTE, 0);
  rtmsg rtm{};
  rtm.rtm_family = static_cast<unsigned char>(destination.family);
  rtm.rtm_dst_len = static_cast<unsigned char>(destination.family == AF_INET ? 32 : 128);
  msg.put_fixed(rtm);
  msg.put_attr(RTA_DST, destination.bytes, address_size(destination.family));
  Route out;
  bool got = false;
  auto s = transact(
      msg,
      [&](const nlmsghdr* h) {
        if (h->nlmsg_type != RTM_NEWROUTE) return;
        out = parse_route(h);
        got = true;
      },
      ("route to " + destination.address()).c_str());
  if (!s) return s.error();
  if (!got) return Error{"no route to " + destination.address()};
  return out;
}

}  // namespace kdk::rtnl
