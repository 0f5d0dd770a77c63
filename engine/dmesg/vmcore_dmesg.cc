#include "engine/dmesg/vmcore_dmesg.h"

#include <unistd.h>

#include "engine/arch/kernel_memory_factory.h"
#include "util/fd.h"
#include "util/format.h"

namespace kdk::dmesg {

Result<KernelLog> read_vmcore_kernel_log(const vmcore::VmcoreFile& core, vmcore::PhysicalMemory& phys,
                                         const ReadOptions& options) {
  auto mem = arch::make_kernel_memory(core, phys);
  if (!mem) return mem.error();
  auto log = read_kernel_log(**mem, core.info(), options);
  if (!log) return log.error().within(core.path());
  return log;
}

Result<KernelLog> read_vmcore_kernel_log(const std::string& vmcore_path, const ReadOptions& options) {
  auto core = vmcore::VmcoreFile::open(vmcore_path);
  if (!core) return core.error();
  uint64_t page_size = core->info().number("PAGESIZE").value_or(4096);
  if (page_size == 0) page_size = 4096;
  if (core->kdump()) page_size = core->kdump()->block_size();  // a kdump-compressed file's pages
  auto phys = vmcore::PhysicalMemory::create(*core, page_size);
  if (!phys) return phys.error().within(vmcore_path);
  return read_vmcore_kernel_log(*core, *phys, options);
}

Status run_dmesg(const DmesgRequest& request) {
  auto log = read_vmcore_kernel_log(request.vmcore, request.read);
  if (!log) return log.error();
  Status written = request.output.empty() || request.output == "-"
                       ? write_all(STDOUT_FILENO, log->text().data(), log->text().size(), "standard output")
                       : write_file(request.output, log->text());
  if (!written) return written.error();
  if (log->damaged())
    return Error{format("%s: kernel log damaged after %zu records (written up to there): %s",
                        request.vmcore.c_str(), log->records(), log->damage_summary().c_str())};
  return {};
}

}  // namespace kdk::dmesg
