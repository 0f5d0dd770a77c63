#include "cli/options.h"

#include <cstring>

#include "util/format.h"

namespace kdk::cli {

namespace {

const Option* find_long(const Command& c, const std::string& name) {
  for (const auto& o : c.options) {
    if (name == o.long_name) return &o;
  }
  return nullptr;
}

const Option* find_short(const Command& c, char name) {
  for (const auto& o : c.options) {
    if (o.short_name != 0 && o.short_name == name) return &o;
  }
  return nullptr;
}

}  // namespace

Result<std::vector<std::string>> parse_options(const Command& c, int argc, char** argv, int first,
                                               bool& help) {
  std::vector<std::string> positional;
  help = false;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) positional.emplace_back(argv[i]);
      break;
    }
    if (arg == "--help" || arg == "-h") {
      help = true;
      continue;
    }
    const Option* opt = nullptr;
    std::string inline_value;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0) {
      std::string name = arg.substr(2);
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
        has_inline = true;
      }
      opt = find_long(c, name);
      if (!opt) return Error{format("%s: unknown option --%s (see kdumpkit %s --help)", c.name, name.c_str(), c.name)};
    } else if (arg.size() == 2 && arg[0] == '-' && arg[1] != '-') {
      opt = find_short(c, arg[1]);
      if (!opt) return Error{format("%s: unknown option %s (see kdumpkit %s --help)", c.name, arg.c_str(), c.name)};
    } else {
      positional.push_back(arg);
      continue;
    }
    if (opt->value_name == nullptr) {
      if (has_inline) return Error{format("%s: option --%s takes no value", c.name, opt->long_name)};
      if (opt->flag) *opt->flag = true;
      continue;
    }
    if (!has_inline) {
      if (i + 1 >= argc) return Error{format("%s: option --%s needs a value (%s)", c.name, opt->long_name, opt->value_name)};
      inline_value = argv[++i];
    }
    if (opt->value) *opt->value = inline_value;
  }
  return positional;
}

std::string usage(const Command& c) {
  std::string out = format("usage: kdumpkit %s [options]%s%s\n\n%s\n\noptions:\n", c.name,
                           c.positional[0] ? " " : "", c.positional, c.summary);
  for (const auto& o : c.options) {
    std::string left = "  ";
    left += o.short_name ? format("-%c, ", o.short_name) : std::string("    ");
    left += "--";
    left += o.long_name;
    if (o.value_name) {
      left += " ";
      left += o.value_name;
    }
    out += format("%-34s %s\n", left.c_str(), o.help);
  }
  out += format("%-34s %s\n", "  -h, --help", "show this help");
  return out;
}

}  // namespace kdk::cli
