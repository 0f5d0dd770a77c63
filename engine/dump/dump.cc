#include "engine/dump/dump.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/arch/kernel_memory_factory.h"
#include "engine/classify/page_classifier.h"
#include "engine/dump/damage_log.h"
#include "engine/dump/elf_writer.h"
#include "engine/dump/kdump_writer.h"
#include "engine/dump/ram_filter.h"
#include "engine/dump/refilter.h"
#include "engine/kernel/utsname.h"
#include "util/format.h"
#include "util/log.h"

namespace kdk::dump {

namespace {

unsigned online_cpus() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1;
}

void log_stats(const DumpOptions& o, const DumpStats& s, uint64_t ps) {
  if (o.quiet) return;
  log::info(
      "dump level %d, %s: %llu of %llu RAM pages dumped (%llu zero, %llu compressed, %llu raw), %llu bytes",
      o.dump_level, compression_name(o.compression), static_cast<unsigned long long>(s.dumpable_pages),
      static_cast<unsigned long long>(s.ram_pages), static_cast<unsigned long long>(s.zero_pages),
      static_cast<unsigned long long>(s.compressed_pages), static_cast<unsigned long long>(s.raw_pages),
      static_cast<unsigned long long>(s.file_size));
  (void)ps;
}

}  // namespace

Result<DumpFormat> parse_dump_format(const std::string& name) {
  if (name == "kdump") return DumpFormat::kdump;
  if (name == "elf") return DumpFormat::elf;
  if (name == "flat") return DumpFormat::flat;
  return Error{"unknown format '" + name + "' (kdump, elf or flat)"};
}

Result<std::unique_ptr<PageFilter>> make_dump_filter(const vmcore::VmcoreFile& core, const DumpInput& in,
                                                     int level, KernelModel& model) {
  if (level < 0 || level > kDumpLevelMax) {
    return Error{format("dump level %d is out of range 0..%d", level, kDumpLevelMax)};
  }
  auto keep_all = [&](std::string why) {
    // What is wrong with the vmcore itself (no VMCOREINFO, a bad note, a
    // truncated file) is usually why the kernel could not be understood.
    for (const auto& p : core.problems()) why = p + "; " + why;
    log::warn("%s; keeping every RAM page", why.c_str());
    // Without the kernel's memory map, nothing bounds what the headers
    // claim but their data: past the last byte any PT_LOAD has (or had,
    // in a truncated file) there is nothing to dump, and a claim of 2^46
    // bytes would cost gigabytes of bitmaps.
    uint64_t data_end = 0;
    for (const auto& seg : core.layout().loads) {
      if (seg.mem_size == 0) continue;
      const uint64_t data = std::min(seg.mem_size, seg.file_size + seg.missing_bytes);
      data_end = std::max(data_end, (seg.phys_addr + data + in.page_size - 1) / in.page_size);
    }
    std::vector<Damage> damage{{0, in.max_mapnr, why + "; every RAM page kept"}};
    uint64_t max_pfn = in.max_mapnr;
    if (data_end < max_pfn) {
      damage.push_back(
          {data_end, max_pfn,
           format("implausible PT_LOAD: no data past pfn 0x%llx, the headers claim memory to pfn "
                  "0x%llx; the dump ends at the data",
                  static_cast<unsigned long long>(data_end), static_cast<unsigned long long>(max_pfn))});
      log::warn("%s", damage.back().what.c_str());
      max_pfn = data_end;
    }
    return std::unique_ptr<PageFilter>(
        new LayoutPageFilter(in.phdrs, in.page_size, max_pfn, std::move(damage)));
  };
  auto phys = vmcore::PhysicalMemory::create(core, in.page_size);
  if (!phys) return keep_all("physical memory: " + phys.error().message);
  model.phys = std::make_unique<vmcore::PhysicalMemory>(std::move(*phys));
  auto mem = arch::make_kernel_memory(core, *model.phys);
  if (!mem) return keep_all("kernel memory: " + mem.error().message);
  model.memory = std::move(*mem);
  auto classifier = classify::make_page_filter(core, *model.phys, *model.memory, level);
  if (!classifier) return keep_all("page classifier: " + classifier.error().message);
  return std::unique_ptr<PageFilter>(std::move(*classifier));
}

Result<DumpStats> dump_vmcore(const vmcore::VmcoreFile& core, const DumpOptions& o, Sink& sink) {
  VmcorePageSource pages(core, vmcore_page_size(core));
  DamageLog read_damage;
  int level = o.dump_level;
  if (core.kdump()) {
    // makedumpfile refuses -E here; we write ELF from the made-up program
    // headers (dump_input_from_kdump) and the input's pages.
    level = refilter_level(*core.kdump(), o.dump_level);
    if (level != o.dump_level && !o.quiet) {
      log::info("dump level is %d: %s was written at dump level %d", level, core.path().c_str(),
                core.kdump()->sub_header().dump_level);
    }
    // The input's own pages may be damaged: keep going, record them.
    pages.keep_going(&read_damage);
  }
  auto in = dump_input_from_vmcore(core, pages);
  if (!in) return in.error();
  KernelModel model;
  auto filter = make_dump_filter(core, *in, level, model);
  if (!filter) return filter.error();
  if (core.kdump()) {
    *filter = std::make_unique<RefilterPageFilter>(std::move(*filter), core.kdump());
  }
  if (model.memory) {
    // The header's utsname is the kernel's own (init_uts_ns), as makedumpfile copies it.
    if (auto uts = kernel::read_utsname(*model.memory, core.info())) {
      static_assert(sizeof(in->utsname) == sizeof(uts->raw));
      std::memcpy(&in->utsname, uts->raw.data(), sizeof(in->utsname));
    } else {
      log::warn("utsname: %s; the header carries the release from VMCOREINFO", uts.error().message.c_str());
    }
  }
  WriteOptions w;
  w.dump_level = level;
  w.compression = o.compression;
  w.threads = o.threads ? o.threads : online_cpus();
  w.memory_bytes = o.memory_bytes;
  w.quiet = o.quiet;
  w.progress_label = "dump";
  auto stats =
      o.format == DumpFormat::elf ? write_elf(*in, **filter, w, sink) : write_kdump(*in, **filter, w, sink);
  if (!stats) return stats.error();
  stats->excluded = (*filter)->counts();
  stats->damage = (*filter)->damage();
  for (auto& d : read_damage.take()) stats->damage.push_back(std::move(d));
  for (const auto& d : stats->damage) {
    log::warn("damage at pfns 0x%llx-0x%llx: %s", static_cast<unsigned long long>(d.start_pfn),
              static_cast<unsigned long long>(d.end_pfn), d.what.c_str());
  }
  if (auto s = sink.finish(); !s) return s.error();
  DumpOptions shown = o;
  shown.dump_level = level;
  log_stats(shown, *stats, in->page_size);
  return stats;
}

Status run_dump(const DumpOptions& o) {
  if (o.input.empty() || o.output.empty()) return Error{"dump needs INPUT and OUTPUT"};
  auto core = vmcore::VmcoreFile::open(o.input);
  if (!core) return core.error();
  const bool to_stdout = o.output == "-";
  const bool flat = to_stdout || o.format == DumpFormat::flat;
  if (to_stdout && isatty(STDOUT_FILENO)) return Error{"refusing to write a dump to a terminal"};
  UniqueFd out_fd;
  int fd = STDOUT_FILENO;
  if (!to_stdout) {
    auto f = open_fd(o.output, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!f) return f.error();
    out_fd = std::move(*f);
    fd = out_fd.get();
  }
  FileSink file(fd, o.output);
  FlatSink stream(fd, to_stdout ? std::string("stdout") : o.output);
  Sink& sink = flat ? static_cast<Sink&>(stream) : static_cast<Sink&>(file);
  auto stats = dump_vmcore(*core, o, sink);
  if (!stats) {
    // A partial file must not pass for a dump.
    if (!to_stdout) ::unlink(o.output.c_str());
    return stats.error();
  }
  if (!to_stdout && ::fsync(fd) != 0 && errno != EINVAL) return Error::from_errno(errno, "fsync " + o.output);
  return {};
}

Status run_reassemble(const std::string& input, const std::string& output) {
  UniqueFd in_fd;
  int in = STDIN_FILENO;
  if (input != "-") {
    auto f = open_fd(input, O_RDONLY);
    if (!f) return f.error();
    in_fd = std::move(*f);
    in = in_fd.get();
  }
  auto out = open_fd(output, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (!out) return out.error();
  if (auto s = reassemble_flat(in, input == "-" ? "stdin" : input, out->get(), output); !s) {
    ::unlink(output.c_str());
    return s;
  }
  if (::fsync(out->get()) != 0 && errno != EINVAL) return Error::from_errno(errno, "fsync " + output);
  return {};
}

}  // namespace kdk::dump
