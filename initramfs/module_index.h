// The kernel-module database of one kernel release (/lib/modules/<release>):
// modules.dep, modules.softdep, modules.alias and modules.builtin, and the
// dependency closure of a set of modules in load order.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "util/result.h"

namespace kdk::initramfs {

struct ModuleFile {
  std::string name;           // normalized: '-' -> '_', no directory, no .ko/.ko.xz/.ko.zst
  std::string relative_path;  // as modules.dep names it, e.g. "kernel/fs/ext4/ext4.ko"
  bool soft_only = false;     // reached only through modules.softdep: optional
};

class ModuleIndex {
 public:
  // Reads the index files under `modules_dir`. modules.dep is required;
  // modules.softdep, modules.alias and modules.builtin are optional.
  static Result<ModuleIndex> load(const std::string& modules_dir);

  // Modules (and aliases: "crypto-crc32c", "fs-ext4") named by `wanted`,
  // plus everything they need through modules.dep and modules.softdep
  // ("pre:" and "post:"), in an order where every module comes after its
  // hard dependencies and after its "pre:" softdeps. Built-in modules are
  // skipped silently. A name that is neither a module, an alias nor built in
  // is an error naming it. Soft dependencies that resolve to nothing are
  // skipped (they are optional by definition).
  Result<std::vector<ModuleFile>> closure(const std::vector<std::string>& wanted) const;

  // True when modules.builtin lists the module (normalized name).
  bool is_builtin(const std::string& name) const;

  const std::string& directory() const { return dir_; }

 private:
  std::string dir_;
  std::map<std::string, std::string> path_by_name_;           // name -> relative path
  std::map<std::string, std::vector<std::string>> deps_;      // name -> dep names
  std::map<std::string, std::vector<std::string>> soft_pre_;  // name -> pre: names/aliases
  std::map<std::string, std::vector<std::string>> soft_post_;
  std::vector<std::pair<std::string, std::string>> aliases_;  // pattern -> module name
  std::set<std::string> builtin_;
};

// "ext4-foo.ko.zst" / "kernel/fs/ext4/ext4.ko" -> "ext4_foo" / "ext4".
std::string normalize_module_name(const std::string& name_or_path);

}  // namespace kdk::initramfs
