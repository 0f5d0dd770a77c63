#include "loader/capture_cmdline.h"

#include <algorithm>

namespace kdk::loader {

namespace {

std::string key_of(const std::string& word) {
  size_t eq = word.find('=');
  return eq == std::string::npos ? word : word.substr(0, eq);
}

}  // namespace

std::vector<std::string> split_kernel_cmdline(std::string_view s) {
  std::vector<std::string> out;
  std::string word;
  bool quoted = false;
  bool have = false;
  for (char c : s) {
    if (c == '"') {
      quoted = !quoted;
      word += c;
      have = true;
    } else if (!quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\0')) {
      if (have) out.push_back(word);
      word.clear();
      have = false;
    } else {
      word += c;
      have = true;
    }
  }
  if (have) out.push_back(word);
  return out;
}

std::string capture_cmdline(std::string_view running, std::string_view append, int nr_cpus) {
  static const std::vector<std::string> kDropped = {
      "crashkernel", "BOOT_IMAGE", "initrd",
      // These reserve memory at boot, which the capture kernel has little of.
      "hugepages", "hugepagesz", "default_hugepagesz", "hugetlb_cma", "cma", "kernelcore", "movablecore",
      "log_buf_len", "trace_buf_size", "swiotlb", "slub_debug", "kmemleak", "page_owner",
      "transparent_hugepage"};
  const std::vector<std::string> kAdded = {"irqpoll", "nr_cpus=" + std::to_string(nr_cpus < 1 ? 1 : nr_cpus),
                                           "reset_devices", "panic=" + std::to_string(kCapturePanicSeconds)};

  std::vector<std::string> extra = split_kernel_cmdline(append);
  std::vector<std::string> tail = kAdded;
  tail.insert(tail.end(), extra.begin(), extra.end());

  // Keys set in the tail replace the same keys from the running command line;
  // within the tail a later word replaces an earlier one.
  std::vector<std::string> tail_keys;
  std::vector<std::string> words;
  for (auto it = tail.rbegin(); it != tail.rend(); ++it) {
    std::string k = key_of(*it);
    if (std::find(tail_keys.begin(), tail_keys.end(), k) != tail_keys.end()) continue;
    tail_keys.push_back(k);
    words.insert(words.begin(), *it);
  }

  // Words after "--" are init's arguments, not the kernel's: ours go before.
  std::vector<std::string> head;
  std::vector<std::string> init_args;
  for (const auto& w : split_kernel_cmdline(running)) {
    if (!init_args.empty() || w == "--") {
      init_args.push_back(w);
      continue;
    }
    std::string k = key_of(w);
    if (std::find(kDropped.begin(), kDropped.end(), k) != kDropped.end()) continue;
    if (std::find(tail_keys.begin(), tail_keys.end(), k) != tail_keys.end()) continue;
    head.push_back(w);
  }
  head.insert(head.end(), words.begin(), words.end());
  head.insert(head.end(), init_args.begin(), init_args.end());

  std::string out;
  for (const auto& w : head) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

}  // namespace kdk::loader
