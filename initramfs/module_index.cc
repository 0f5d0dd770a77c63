#include "initramfs/module_index.h"

#include <fnmatch.h>

#include <string_view>
#include <tuple>
#include <utility>

#include "util/fd.h"
#include "util/format.h"
#include "util/log.h"
#include "util/text.h"

namespace kdk::initramfs {
namespace {

using NameMap = std::map<std::string, std::vector<std::string>>;

std::string underscores(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '-') c = '_';
  }
  return out;
}

// Aliases compare with '-' and '_' equal, as kmod does, except inside a
// bracket expression of a pattern, where '-' is a range.
std::string alias_key(std::string_view s) {
  std::string out(s);
  bool in_brackets = false;
  for (char& c : out) {
    if (c == '[') in_brackets = true;
    if (c == ']') in_brackets = false;
    if (c == '-' && !in_brackets) c = '_';
  }
  return out;
}

bool is_comment_or_blank(std::string_view line) {
  std::string_view t = trim(line);
  return t.empty() || t[0] == '#';
}

Error parse_error(const std::string& file, size_t line_no, const char* expected,
                  std::string_view line) {
  return Error{format("%s line %zu: expected %s, got \"%.*s\"", file.c_str(), line_no, expected,
                      static_cast<int>(trim(line).size()), trim(line).data()),
               0};
}

// Optional index files may be absent (older depmod, stripped-down systems);
// any other failure to read them is an error.
Result<std::string> read_optional(const std::string& path) {
  if (!path_exists(path)) return std::string();
  return read_file(path);
}

Status parse_dep(const std::string& file, const std::string& text,
                 std::map<std::string, std::string>& path_by_name, NameMap& deps) {
  size_t line_no = 0;
  for (std::string_view line : lines(text)) {
    ++line_no;
    if (is_comment_or_blank(line)) continue;
    size_t colon = line.find(':');
    std::string path(trim(line.substr(0, colon == std::string_view::npos ? 0 : colon)));
    if (colon == std::string_view::npos || path.empty() ||
        path.find_first_of(" \t") != std::string::npos) {
      return parse_error(file, line_no, "\"<module path>: <dependency paths>\"", line);
    }
    std::string name = normalize_module_name(path);
    path_by_name[name] = path;
    std::vector<std::string>& out = deps[name];
    out.clear();
    for (const std::string& dep : split_words(line.substr(colon + 1))) {
      out.push_back(normalize_module_name(dep));
    }
  }
  return {};
}

Status parse_softdep(const std::string& file, const std::string& text, NameMap& pre,
                     NameMap& post) {
  constexpr const char* kExpected = "\"softdep <module> pre: <modules> post: <modules>\"";
  size_t line_no = 0;
  for (std::string_view line : lines(text)) {
    ++line_no;
    if (is_comment_or_blank(line)) continue;
    std::vector<std::string> words = split_words(line);
    if (words.size() < 2 || words[0] != "softdep") {
      return parse_error(file, line_no, kExpected, line);
    }
    const std::string name = underscores(words[1]);
    std::vector<std::string>* target = nullptr;
    for (size_t i = 2; i < words.size(); ++i) {
      if (words[i] == "pre:") {
        target = &pre[name];
      } else if (words[i] == "post:") {
        target = &post[name];
      } else if (target == nullptr) {
        // depmod copies MODULE_SOFTDEP("gcm") without "pre:" verbatim
        // ("softdep cifs gcm"); modprobe ignores such words, and so do we.
        continue;
      } else {
        target->push_back(words[i]);
      }
    }
  }
  return {};
}

Status parse_alias(const std::string& file, const std::string& text,
                   std::vector<std::pair<std::string, std::string>>& aliases,
                   std::set<std::string>* builtin) {
  size_t line_no = 0;
  for (std::string_view line : lines(text)) {
    ++line_no;
    if (is_comment_or_blank(line)) continue;
    std::vector<std::string> words = split_words(line);
    if (words.size() != 3 || words[0] != "alias") {
      return parse_error(file, line_no, "\"alias <pattern> <module>\"", line);
    }
    std::string module = underscores(words[2]);
    // modules.builtin.alias names built-in modules; an older modules.builtin
    // may miss some of them.
    if (builtin != nullptr) builtin->insert(module);
    aliases.emplace_back(alias_key(words[1]), std::move(module));
  }
  return {};
}

void parse_builtin(const std::string& text, std::set<std::string>& builtin) {
  for (std::string_view line : lines(text)) {
    if (is_comment_or_blank(line)) continue;
    builtin.insert(normalize_module_name(std::string(trim(line))));
  }
}

struct Resolution {
  std::vector<std::string> modules;  // loadable modules the name stands for, sorted
  bool builtin = false;              // the name is satisfied by the kernel itself
};

// Lookup order follows modprobe: a module name, then a built-in module name,
// then aliases (every loadable module an alias matches, or built-in when
// only built-in modules match it).
Resolution resolve(const std::string& query, const std::map<std::string, std::string>& path_by_name,
                   const std::set<std::string>& builtin,
                   const std::vector<std::pair<std::string, std::string>>& aliases) {
  Resolution r;
  const std::string name = underscores(query);
  if (path_by_name.count(name) != 0) {
    r.modules.push_back(name);
    return r;
  }
  if (builtin.count(name) != 0) {
    r.builtin = true;
    return r;
  }
  const std::string key = alias_key(query);
  std::set<std::string> matched;
  bool matched_builtin = false;
  for (const auto& [pattern, module] : aliases) {
    // Cheap rejection first: modules.alias has tens of thousands of lines.
    const char first = pattern.empty() ? '\0' : pattern[0];
    if (first != '*' && first != '?' && first != '[' && first != '\\' &&
        (key.empty() || key[0] != first)) {
      continue;
    }
    if (fnmatch(pattern.c_str(), key.c_str(), 0) != 0) continue;
    if (path_by_name.count(module) != 0) {
      matched.insert(module);
    } else if (builtin.count(module) != 0) {
      matched_builtin = true;
    }
  }
  r.modules.assign(matched.begin(), matched.end());
  r.builtin = r.modules.empty() && matched_builtin;
  return r;
}

// The dependency graph of a closure: an edge a -> b means a loads before b.
struct Graph {
  std::set<std::string> nodes;
  std::map<std::string, std::set<std::string>> succ;

  bool reaches(const std::string& from, const std::string& to) const {
    std::set<std::string> seen;
    std::vector<std::string> stack{from};
    while (!stack.empty()) {
      std::string n = std::move(stack.back());
      stack.pop_back();
      if (n == to) return true;
      if (!seen.insert(n).second) continue;
      auto it = succ.find(n);
      if (it == succ.end()) continue;
      for (const std::string& s : it->second) stack.push_back(s);
    }
    return false;
  }

  // A cycle through hard dependencies as "a -> b -> a" (a needs b needs a),
  // or "" when there is none.
  std::string find_cycle() const {
    std::map<std::string, int> state;  // 0 new, 1 on the path, 2 done
    std::vector<std::string> path;
    std::string found;
    auto visit = [&](auto& self, const std::string& n) -> bool {
      state[n] = 1;
      path.push_back(n);
      auto it = succ.find(n);
      if (it != succ.end()) {
        for (const std::string& s : it->second) {
          if (state[s] == 1) {
            // The path runs in load order; print it in "needs" order.
            size_t i = path.size();
            while (path[i - 1] != s) --i;
            found = s;
            for (size_t j = path.size(); j-- > i - 1;) found += " -> " + path[j];
            return true;
          }
          if (state[s] == 0 && self(self, s)) return true;
        }
      }
      path.pop_back();
      state[n] = 2;
      return false;
    };
    for (const std::string& n : nodes) {
      if (state[n] == 0 && visit(visit, n)) return found;
    }
    return {};
  }

  // Kahn's algorithm; among modules ready at the same time the smallest name
  // goes first, so the order depends only on the graph.
  std::vector<std::string> sorted() const {
    std::map<std::string, size_t> indegree;
    for (const std::string& n : nodes) indegree[n];
    for (const auto& [from, tos] : succ) {
      for (const std::string& to : tos) ++indegree[to];
    }
    std::set<std::string> ready;
    for (const auto& [n, d] : indegree) {
      if (d == 0) ready.insert(n);
    }
    std::vector<std::string> out;
    while (!ready.empty()) {
      std::string n = *ready.begin();
      ready.erase(ready.begin());
      auto it = succ.find(n);
      if (it != succ.end()) {
        for (const std::string& s : it->second) {
          if (--indegree[s] == 0) ready.insert(s);
        }
      }
      out.push_back(std::move(n));
    }
    return out;
  }
};

struct SoftEdge {
  std::string before, after;
  std::string why;  // the softdep line it comes from, for the warning
  bool operator<(const SoftEdge& o) const {
    return std::tie(before, after, why) < std::tie(o.before, o.after, o.why);
  }
};

}  // namespace

std::string normalize_module_name(const std::string& name_or_path) {
  size_t slash = name_or_path.rfind('/');
  std::string_view base(name_or_path);
  if (slash != std::string::npos) base.remove_prefix(slash + 1);
  for (std::string_view suffix : {".ko", ".ko.xz", ".ko.zst", ".ko.gz"}) {
    if (base.size() > suffix.size() && base.ends_with(suffix)) {
      base.remove_suffix(suffix.size());
      break;
    }
  }
  return underscores(base);
}

Result<ModuleIndex> ModuleIndex::load(const std::string& modules_dir) {
  ModuleIndex index;
  index.dir_ = modules_dir;
  while (index.dir_.size() > 1 && index.dir_.back() == '/') index.dir_.pop_back();
  const std::string& dir = index.dir_;

  const std::string dep_file = dir + "/modules.dep";
  auto dep = read_file(dep_file);
  if (!dep) return dep.error().within("module index");
  if (Status st = parse_dep(dep_file, *dep, index.path_by_name_, index.deps_); !st) {
    return st.error();
  }

  const std::string softdep_file = dir + "/modules.softdep";
  auto softdep = read_optional(softdep_file);
  if (!softdep) return softdep.error().within("module index");
  if (Status st = parse_softdep(softdep_file, *softdep, index.soft_pre_, index.soft_post_); !st) {
    return st.error();
  }

  const std::string alias_file = dir + "/modules.alias";
  auto alias = read_optional(alias_file);
  if (!alias) return alias.error().within("module index");
  if (Status st = parse_alias(alias_file, *alias, index.aliases_, nullptr); !st) {
    return st.error();
  }

  auto builtin = read_optional(dir + "/modules.builtin");
  if (!builtin) return builtin.error().within("module index");
  parse_builtin(*builtin, index.builtin_);

  const std::string builtin_alias_file = dir + "/modules.builtin.alias";
  auto builtin_alias = read_optional(builtin_alias_file);
  if (!builtin_alias) return builtin_alias.error().within("module index");
  if (Status st = parse_alias(builtin_alias_file, *builtin_alias, index.aliases_, &index.builtin_);
      !st) {
    return st.error();
  }
  return index;
}

bool ModuleIndex::is_builtin(const std::string& name) const {
  return builtin_.count(underscores(name)) != 0;
}

// Hard dependencies must hold: depmod never writes a cycle, so one means a
// corrupt index and is an error. Soft dependencies are hints; one that would
// close a cycle is dropped (in sorted order, with a warning) and the rest
// kept.
Result<std::vector<ModuleFile>> ModuleIndex::closure(const std::vector<std::string>& wanted) const {
  Graph graph;
  std::set<SoftEdge> soft;
  std::vector<std::string> todo;

  for (const std::string& w : wanted) {
    Resolution r = resolve(w, path_by_name_, builtin_, aliases_);
    if (r.modules.empty() && !r.builtin) {
      return Error{format("module \"%s\" not found in %s/modules.dep "
                          "(nor in modules.alias or modules.builtin)",
                          w.c_str(), dir_.c_str()),
                   0};
    }
    todo.insert(todo.end(), r.modules.begin(), r.modules.end());
  }

  auto add_soft = [&](const std::string& module, const NameMap& table, bool pre) {
    auto it = table.find(module);
    if (it == table.end()) return;
    for (const std::string& dep : it->second) {
      Resolution r = resolve(dep, path_by_name_, builtin_, aliases_);
      for (const std::string& m : r.modules) {
        if (m == module) continue;
        std::string why =
            format("softdep %s %s %s", module.c_str(), pre ? "pre:" : "post:", dep.c_str());
        soft.insert(pre ? SoftEdge{m, module, why} : SoftEdge{module, m, why});
        todo.push_back(m);
      }
    }
  };

  while (!todo.empty()) {
    std::string module = std::move(todo.back());
    todo.pop_back();
    if (!graph.nodes.insert(module).second) continue;
    if (auto it = deps_.find(module); it != deps_.end()) {
      for (const std::string& dep : it->second) {
        if (path_by_name_.count(dep) == 0) {
          if (builtin_.count(dep) != 0) continue;
          return Error{format("module \"%s\" (needed by \"%s\") has no line of its own in "
                              "%s/modules.dep",
                              dep.c_str(), module.c_str(), dir_.c_str()),
                       0};
        }
        graph.succ[dep].insert(module);
        todo.push_back(dep);
      }
    }
    add_soft(module, soft_pre_, true);
    add_soft(module, soft_post_, false);
  }

  if (std::string cycle = graph.find_cycle(); !cycle.empty()) {
    return Error{format("dependency cycle in %s/modules.dep: %s", dir_.c_str(), cycle.c_str()), 0};
  }
  for (const SoftEdge& e : soft) {
    if (e.before == e.after || graph.succ[e.before].count(e.after) != 0) continue;
    if (graph.reaches(e.after, e.before)) {
      log::warn("ignoring \"%s\" from %s/modules.softdep: %s must already load before %s",
                e.why.c_str(), dir_.c_str(), e.after.c_str(), e.before.c_str());
      continue;
    }
    graph.succ[e.before].insert(e.after);
  }

  // What the wanted modules need through hard dependencies alone; the rest
  // came in by softdeps, which are hints a missing file must not turn into errors.
  std::set<std::string> hard;
  for (const std::string& w : wanted) {
    Resolution r = resolve(w, path_by_name_, builtin_, aliases_);
    todo.insert(todo.end(), r.modules.begin(), r.modules.end());
  }
  while (!todo.empty()) {
    std::string module = std::move(todo.back());
    todo.pop_back();
    if (!hard.insert(module).second) continue;
    if (auto it = deps_.find(module); it != deps_.end())
      todo.insert(todo.end(), it->second.begin(), it->second.end());
  }

  std::vector<ModuleFile> out;
  for (std::string& name : graph.sorted()) {
    std::string path = path_by_name_.find(name)->second;
    const bool soft_only = hard.count(name) == 0;
    out.push_back(ModuleFile{std::move(name), std::move(path), soft_only});
  }
  return out;
}

}  // namespace kdk::initramfs
