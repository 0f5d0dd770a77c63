// dump: the collector on any vmcore (makedumpfile's job).
#include "cli/registry.h"
#include "engine/dump/dump.h"
#include "util/format.h"
#include "util/text.h"

namespace kdk::cli {
namespace {

std::string g_level = "31";
std::string g_compress = "zstd";
std::string g_format = "kdump";
std::string g_threads;
std::string g_memory = "64";
bool g_quiet = false;

Result<dump::DumpOptions> parse(const std::vector<std::string>& positional) {
  if (positional.size() != 2) return Error{"dump: needs INPUT and OUTPUT (see kdumpkit dump --help)"};
  dump::DumpOptions o;
  o.input = positional[0];
  o.output = positional[1];
  unsigned long long v = 0;
  if (!parse_u64(g_level, v) || v > 31) return Error{"dump: --dump-level takes 0..31, not '" + g_level + "'"};
  o.dump_level = static_cast<int>(v);
  auto c = dump::parse_compression(g_compress);
  if (!c) return c.error().within("dump: --compress");
  o.compression = *c;
  auto f = dump::parse_dump_format(g_format);
  if (!f) return f.error().within("dump: --format");
  o.format = *f;
  if (!g_threads.empty()) {
    if (!parse_u64(g_threads, v) || v == 0 || v > 1024) return Error{"dump: --threads takes 1..1024"};
    o.threads = static_cast<unsigned>(v);
  }
  if (!parse_u64(g_memory, v) || v == 0 || v > (1ULL << 20))
    return Error{"dump: --memory takes MiB, 1 or more"};
  o.memory_bytes = v << 20;
  o.quiet = g_quiet;
  return o;
}

Subcommand make_dump() {
  return {
      60,
      {"dump",
       "Filter and compress a vmcore (/proc/vmcore, an ELF vmcore file, or a kdump-compressed file to "
       "refilter at a higher level) into makedumpfile's formats. OUTPUT '-' writes the flattened format to "
       "stdout.",
       "INPUT OUTPUT",
       {{"dump-level", 'd', "LEVEL",
         "pages to exclude, makedumpfile's -d bits: 1 zero, 2 cache, 4 cache "
         "private, 8 user, 16 free (default 31)",
         &g_level},
        {"compress", 'c', "ALGO", "zstd (default), zlib, lzo or none", &g_compress},
        {"format", 0, "FORMAT", "kdump (default, kdump-compressed), elf, or flat (flattened kdump)",
         &g_format},
        {"threads", 'j', "N", "compression threads (default: CPUs online)", &g_threads},
        {"memory", 0, "MIB", "memory budget for bitmaps, buffers and compression (default 64)", &g_memory},
        {"quiet", 'q', nullptr, "no progress or summary", nullptr, &g_quiet}}},
      [](const std::vector<std::string>& positional) {
        auto o = parse(positional);
        if (!o) return usage_error(o.error());
        return report(dump::run_dump(*o));
      }};
}

KDK_SUBCOMMAND(make_dump);

}  // namespace
}  // namespace kdk::cli
