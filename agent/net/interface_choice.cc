#include "agent/net/interface_choice.h"

#include <cctype>

namespace kdk::net {

std::string normalize_mac(const std::string& text) {
  if (text.size() != 17) return "";
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i % 3 == 2) {
      if (c != ':' && c != '-') return "";
      out += ':';
    } else {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

bool looks_like_mac(const std::string& text) { return !normalize_mac(text).empty(); }

Result<InterfaceChoice> choose_interface(const std::vector<rtnl::Link>& links, const std::string& configured,
                                         const std::string& recorded_mac) {
  if (!configured.empty()) {
    std::string mac = normalize_mac(configured);
    for (const auto& l : links) {
      if (l.loopback()) continue;
      if ((!mac.empty() && l.mac == mac) || (mac.empty() && l.name == configured)) {
        return InterfaceChoice{l.index, "configured " + configured + " (" + l.name + ")"};
      }
    }
    std::string seen;
    for (const auto& l : links) {
      if (l.loopback()) continue;
      seen += (seen.empty() ? "" : ", ") + l.name + " " + l.mac;
    }
    return Error{"network interface " + configured +
                 " not found (present: " + (seen.empty() ? "none" : seen) + ")"};
  }
  std::string mac = normalize_mac(recorded_mac);
  if (!mac.empty()) {
    for (const auto& l : links) {
      if (!l.loopback() && l.mac == mac)
        return InterfaceChoice{l.index, l.name + ", MAC " + mac + " recorded by load"};
    }
  }
  std::string reason = "the first interface with a link";
  if (!mac.empty()) reason += " (no interface has the recorded MAC " + mac + ")";
  return InterfaceChoice{std::nullopt, reason};
}

}  // namespace kdk::net
