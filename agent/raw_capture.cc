#include "agent/raw_capture.h"

#include <unistd.h>

#include <cerrno>

#include "agent/heartbeat.h"
#include "targets/raw_device.h"
#include "targets/raw_identity.h"
#include "util/format.h"
#include "util/log.h"

namespace kdk::agent {

namespace {

constexpr uint64_t kStreamAlign = 1 << 20;
constexpr uint64_t kFileAlign = 4096;
// A FlatSink holds back up to one record (1 MiB) and adds headers: what a
// write may still emit beyond bytes_out() plus its own size.
constexpr uint64_t kFlatSlack = (1 << 20) + 8192;

// Refuses a write that could carry the stream past `limit` bytes: the device
// end, less room for the log and metadata. Failing early, like ENOSPC on a
// disk, sends the capture on to the next target with its reason.
class BoundedSink final : public dump::Sink {
 public:
  BoundedSink(dump::Sink& inner, uint64_t limit, std::string where)
      : inner_(inner), limit_(limit), where_(std::move(where)) {}
  Status write_at(uint64_t offset, const void* data, size_t size) override {
    if (inner_.bytes_out() + size + kFlatSlack > limit_) {
      return Error{format("%s: no space left for the flattened stream after %llu MiB (%llu MiB usable)",
                          where_.c_str(), static_cast<unsigned long long>(inner_.bytes_out() >> 20),
                          static_cast<unsigned long long>(limit_ >> 20)),
                   ENOSPC};
    }
    return inner_.write_at(offset, data, size);
  }
  Status finish() override { return inner_.finish(); }
  uint64_t bytes_out() const override { return inner_.bytes_out(); }

 private:
  dump::Sink& inner_;
  uint64_t limit_;
  std::string where_;
};

double seconds_since(std::chrono::milliseconds t0, const Clock& clock) {
  return std::chrono::duration<double>(clock.now() - t0).count();
}

}  // namespace

RawCaptureResult save_to_raw(const RawCaptureJob& job) {
  auto failed = [](const std::string& why) { return RawCaptureResult{RawCaptureResult::kFailed, why}; };
  CaptureMetadata& m = *job.metadata;
  m.start_attempt();

  auto dev = targets::RawDevice::wait_and_open(job.target.device, job.device_timeout, job.clock);
  if (!dev) return failed(dev.error().message);
  const std::string& where = dev->path();
  // The capture kernel may name its disks in another order: write nothing
  // to a device that is not the one `load` checked.
  if (job.identity) {
    auto now = targets::raw_identity_of(where, dev->size());
    if (std::string differs = targets::raw_identity_mismatch(*job.identity, now); !differs.empty()) {
      return failed(where + " is not the device load checked (" + differs + "); nothing written to it");
    }
  } else {
    log::warn("%s: no identity recorded by load (an older load?): written without that check", where.c_str());
  }
  if (auto old = dev->read_header(); old && old->kind == targets::RawHeaderRead::kValid &&
                                     old->header.state == targets::RawState::kCommitted) {
    log::warn("%s holds a dump not saved yet (%s): it is overwritten", where.c_str(),
              old->header.dir_name.c_str());
  }

  // First the header: from here on nothing older on the device can pass for this capture.
  targets::RawHeader h;
  h.state = targets::RawState::kWriting;
  h.capture_id = targets::new_capture_id(static_cast<uint64_t>(job.crash_time));
  h.crash_time = job.crash_time;
  h.dir_name = job.dir_name;
  h.note = "capture in progress";
  if (auto s = dev->write_header(h); !s) return failed(s.error().message);
  log::info("raw target %s: %llu MiB, capture id %s", where.c_str(),
            static_cast<unsigned long long>(dev->size() >> 20), h.capture_id.c_str());

  uint64_t next = targets::kRawHeaderSize;
  if (job.dmesg) {
    auto t0 = job.clock.now();
    auto r = dev->write_region(next, *job.dmesg);
    if (!r) return failed(r.error().message);
    h.regions[targets::kRawDmesg] = *r;
    if (auto s = dev->write_header(h); !s) return failed(s.error().message);
    m.files.push_back(SavedFile{"vmcore-dmesg.txt", r->length, r->sha256, seconds_since(t0, job.clock)});
    next += r->length;
  }

  const uint64_t stream_at = targets::align_up(next, kStreamAlign);
  const uint64_t room =
      dev->size() > stream_at + kRawTrailerReserve ? dev->size() - stream_at - kRawTrailerReserve : 0;
  m.space = job.check_space(Result<uint64_t>(room > kFlatSlack ? room - kFlatSlack : 0));
  log::info("space: %s", m.space.decision.c_str());
  double stream_secs = 0;
  if (m.space.chosen_level >= 0) {
    auto t0 = job.clock.now();
    Status written = Error{"lseek"};
    uint64_t length = 0;
    if (::lseek(dev->fd(), static_cast<off_t>(stream_at), SEEK_SET) < 0) {
      written = Error::from_errno(
          errno, format("seek %s to %llu", where.c_str(), static_cast<unsigned long long>(stream_at)));
    } else {
      dump::FlatSink flat(dev->fd(), where);
      BoundedSink bounded(flat, room, where);
      written = job.write_dump(bounded, m.space.chosen_level);
      length = flat.bytes_out();
    }
    if (written) written = dev->sync();
    if (written) {
      // Read back what the device holds: the digest savecore will check.
      auto digest = dev->digest(stream_at, length, [] { heartbeat(); });
      if (!digest) {
        written = digest.error();
      } else {
        h.regions[targets::kRawStream] = targets::RawRegion{stream_at, length, *digest};
        stream_secs = seconds_since(t0, job.clock);
        m.files.push_back(SavedFile{"vmcore.flat", length, *digest, stream_secs});
        m.complete = true;
        next = stream_at + length;
        log::info("flattened stream: %llu MiB in %.1f s", static_cast<unsigned long long>(length >> 20),
                  stream_secs);
      }
    }
    if (!written) {
      log::error("vmcore on %s: %s", where.c_str(), written.error().message.c_str());
      m.incomplete_reason = "vmcore not saved: " + written.error().message;
      m.has_dump_summary = false;
    }
  } else {
    m.incomplete_reason = m.space.decision;
  }

  // The log and metadata after whatever stream there is (over a failed one).
  TargetAttempt attempt{job.target_text, m.complete, where,
                        m.complete ? "complete" : "log and metadata only"};
  if (!m.complete) attempt.detail = where + ": " + m.incomplete_reason;
  std::string log_text = job.console_log();
  const uint64_t log_room = kRawTrailerReserve / 2;
  if (log_text.size() > log_room) log_text.erase(0, log_text.size() - log_room);  // its end says most
  uint64_t log_at = targets::align_up(next, kFileAlign);
  auto logged = dev->write_region(log_at, log_text);
  if (logged) {
    h.regions[targets::kRawLog] = *logged;
    m.files.push_back(SavedFile{"kdumpkit.log", logged->length, logged->sha256, 0});
    next = log_at + logged->length;
  } else {
    log::warn("kdumpkit.log: %s", logged.error().message.c_str());
  }
  std::string json = job.final_metadata(attempt);
  auto meta = dev->write_region(targets::align_up(next, kFileAlign), json);
  if (!meta)
    return failed((m.complete ? "" : m.incomplete_reason + "; ") + "metadata.json: " + meta.error().message);
  h.regions[targets::kRawMetadata] = *meta;

  h.state = targets::RawState::kCommitted;
  h.note = m.complete ? "" : m.incomplete_reason;
  if (auto s = dev->write_header(h); !s) return failed("commit header: " + s.error().message);
  if (!m.complete) return RawCaptureResult{RawCaptureResult::kLogOnly, attempt.detail};
  return RawCaptureResult{RawCaptureResult::kComplete,
                          format("saved a flattened vmcore (level %d, %llu MiB in %.1f s) on raw %s; "
                                 "kdumpkit savecore extracts it on the next boot",
                                 m.space.chosen_level,
                                 static_cast<unsigned long long>(h.regions[targets::kRawStream].length >> 20),
                                 stream_secs, where.c_str())};
}

}  // namespace kdk::agent
