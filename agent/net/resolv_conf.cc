#include "agent/net/resolv_conf.h"

namespace kdk::net {

std::string render_resolv_conf(const std::vector<std::string>& servers, const std::string& search_domain) {
  std::string out = "# written by kdumpkit in the capture kernel\n";
  for (size_t i = 0; i < servers.size() && i < 3; ++i) out += "nameserver " + servers[i] + "\n";
  if (!search_domain.empty()) out += "search " + search_domain + "\n";
  return out;
}

}  // namespace kdk::net
