#include "loader/savecore.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <variant>

#include "config/config.h"
#include "engine/dump/sink.h"
#include "targets/disk_target.h"
#include "targets/raw_device.h"
#include "util/fd.h"
#include "util/format.h"
#include "util/log.h"

namespace kdk::loader {

namespace {

Status save_text(const std::string& dir, const std::string& name, const std::string& text) {
  auto f = targets::AtomicFile::create(dir, name, name + "-incomplete");
  if (!f) return f.error();
  Status s = f->write(text.data(), text.size());
  if (s) s = f->commit();
  if (!s) (void)f->discard();
  return s;
}

// The flattened stream at `r` rebuilt into dir/vmcore (written as vmcore-incomplete, then renamed).
Result<uint64_t> save_vmcore(const targets::RawDevice& dev, const targets::RawRegion& r,
                             const std::string& dir) {
  auto f = targets::AtomicFile::create(dir, "vmcore", "vmcore-incomplete");
  if (!f) return f.error();
  Status s;
  if (::lseek(dev.fd(), static_cast<off_t>(r.offset), SEEK_SET) < 0) {
    s = Error::from_errno(errno, "seek " + dev.path());
  } else {
    s = dump::reassemble_flat(dev.fd(), dev.path(), f->fd(), dir + "/vmcore-incomplete");
  }
  if (s) s = f->commit();
  if (!s) {
    (void)f->discard();
    return s.error();
  }
  struct stat st {};
  if (::stat(f->final_path().c_str(), &st) != 0) return Error::from_errno(errno, "stat " + f->final_path());
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace

SavecoreResult savecore_device(const std::string& device, const std::string& directory, bool clear) {
  const auto t0 = std::chrono::steady_clock::now();
  SavecoreResult out;
  out.device = device;
  auto result = [&](SavecoreResult::Kind kind, std::string detail) {
    out.kind = kind;
    out.detail = std::move(detail);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
  };
  auto dev = targets::RawDevice::open(device, clear);
  if (!dev) return result(SavecoreResult::kFailed, dev.error().message);
  auto read = dev->read_header();
  if (!read) return result(SavecoreResult::kFailed, read.error().message);
  if (read->kind == targets::RawHeaderRead::kNone)
    return result(SavecoreResult::kNothing, "no kdumpkit dump");
  if (read->kind == targets::RawHeaderRead::kCorrupt) {
    return result(SavecoreResult::kFailed, "damaged kdumpkit header, left as it is: " + read->problem);
  }
  targets::RawHeader h = read->header;
  if (h.state == targets::RawState::kSaved)
    return result(SavecoreResult::kNothing, "dump saved already: " + h.note);
  const bool interrupted = h.state == targets::RawState::kWriting;

  // Check every region before writing anything: a committed dump that does
  // not verify is kept on the device for a person to look at.
  std::vector<int> good;
  for (int i = 0; i < targets::kRawRegionCount; ++i) {
    const auto& r = h.regions[i];
    if (!r.present()) continue;
    if (auto s = dev->verify_region(r, targets::raw_region_name(i)); !s) {
      if (!interrupted)
        return result(SavecoreResult::kFailed, s.error().message + "; nothing saved, header kept");
      log::warn("%s", s.error().message.c_str());
      continue;
    }
    good.push_back(i);
  }
  if (interrupted && good.empty()) {
    if (clear) {
      h.state = targets::RawState::kSaved;
      h.saved_time = static_cast<int64_t>(::time(nullptr));
      h.note = "interrupted capture, nothing to save";
      if (auto s = dev->write_header(h); !s) return result(SavecoreResult::kFailed, s.error().message);
    }
    return result(SavecoreResult::kInterrupted, "a capture started (" + h.dir_name + ") but saved nothing");
  }

  auto dir = targets::make_crash_directory(directory, h.dir_name);
  if (!dir) return result(SavecoreResult::kFailed, dir.error().message);
  out.directory = *dir;
  // vmcore-dmesg.txt first and metadata.json last, as the capture writes a disk target.
  for (int i : {targets::kRawDmesg, targets::kRawStream, targets::kRawLog, targets::kRawMetadata}) {
    if (std::find(good.begin(), good.end(), i) == good.end()) continue;
    const auto& r = h.regions[i];
    if (i == targets::kRawStream) {
      auto size = save_vmcore(*dev, r, *dir);
      if (!size) return result(SavecoreResult::kFailed, "vmcore: " + size.error().message);
      out.vmcore_bytes = *size;
      continue;
    }
    auto text = dev->read_region(r, targets::raw_region_name(i));
    if (!text) return result(SavecoreResult::kFailed, text.error().message);
    if (auto s = save_text(*dir, targets::raw_region_name(i), *text); !s) {
      return result(SavecoreResult::kFailed, s.error().message);
    }
  }

  if (clear) {
    h.state = targets::RawState::kSaved;
    h.saved_time = static_cast<int64_t>(::time(nullptr));
    h.note = "saved to " + *dir;
    if (auto s = dev->write_header(h); !s) {
      return result(SavecoreResult::kFailed,
                    "saved to " + *dir + ", but the header was not cleared: " + s.error().message);
    }
  }
  if (interrupted)
    return result(SavecoreResult::kInterrupted, "the capture did not finish; its kernel log saved");
  if (!h.regions[targets::kRawStream].present()) {
    return result(SavecoreResult::kLogOnly, "log and metadata only: " + h.note);
  }
  return result(SavecoreResult::kSaved,
                format("vmcore %llu MiB", static_cast<unsigned long long>(out.vmcore_bytes >> 20)));
}

Result<std::vector<SavecoreResult>> run_savecore(const SavecoreOptions& o) {
  std::vector<std::string> devices = o.devices;
  if (devices.empty()) {
    auto text = read_file(o.config_path);
    if (!text) return text.error();
    auto cfg = config::parse_config(*text, o.config_path);
    if (!cfg) return cfg.error();
    for (const auto& t : cfg->targets) {
      if (const auto* raw = std::get_if<config::RawTarget>(&t.where)) devices.push_back(raw->device);
    }
  }
  std::vector<SavecoreResult> out;
  for (const auto& d : devices) out.push_back(savecore_device(d, o.directory, o.clear));
  return out;
}

}  // namespace kdk::loader
