#include "agent/net/resolv_conf.h"

#include "util/text.h"

namespace kdk::net {

std::string render_resolv_conf(const std::vector<std::string>& servers, const std::string& search_domain) {
  std::string out = "# written by kdumpkit in the capture kernel\n";
  for (size_t i = 0; i < servers.size() && i < 3; ++i) out += "nameserver " + servers[i] + "\n";
  if (!search_domain.empty()) out += "search " + search_domain + "\n";
  return out;
}

std::vector<std::string> parse_resolv_conf_servers(const std::string& text) {
  std::vector<std::string> out;
  for (auto line : lines(text)) {
    auto words = split_words(line);
    if (words.size() >= 2 && words[0] == "nameserver") out.push_back(words[1]);
  }
  return out;
}

}  // namespace kdk::net
