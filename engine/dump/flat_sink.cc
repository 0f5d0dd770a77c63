// makedumpfile's flattened format: see kdump_layout.h for the framing.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/dump/sink.h"
#include "engine/format/kdump_layout.h"
#include "util/fd.h"
#include "util/format.h"

namespace kdk::dump {

namespace {

void put_be64(uint8_t* p, int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(u);
    u >>= 8;
  }
}

int64_t get_be64(const uint8_t* p) {
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u = (u << 8) | p[i];
  return static_cast<int64_t>(u);
}

// Reads exactly `size` bytes from a stream; `eof_ok` allows a clean end
// before the first byte.
Status read_stream(int fd, void* data, size_t size, const std::string& name, uint64_t at) {
  uint8_t* p = static_cast<uint8_t*>(data);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, p + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(
          errno, format("read %s at byte %llu", name.c_str(), static_cast<unsigned long long>(at + done)));
    }
    if (n == 0) {
      return Error{format("%s ends at byte %llu, inside a flattened record (no end record)", name.c_str(),
                          static_cast<unsigned long long>(at + done))};
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

Status FdWriter::write(const void* data, size_t size) { return write_all(fd_, data, size, name_); }

Status StreamSink::write_at(uint64_t offset, const void* data, size_t size) {
  if (offset != bytes_) {
    return Error{format("a stream takes bytes in order: write at offset %llu after %llu bytes",
                        static_cast<unsigned long long>(offset), static_cast<unsigned long long>(bytes_))};
  }
  if (auto s = out_.write(data, size); !s) return s;
  bytes_ += size;
  return {};
}

FlatSink::FlatSink(int fd, std::string name, size_t max_record)
    : fd_writer_(fd, std::move(name)), out_(fd_writer_), max_record_(max_record == 0 ? 1 : max_record) {}

FlatSink::FlatSink(ByteWriter& out, size_t max_record)
    : fd_writer_(-1, ""), out_(out), max_record_(max_record == 0 ? 1 : max_record) {}

Status FlatSink::emit(const void* data, size_t size) {
  if (auto s = out_.write(data, size); !s) return s;
  bytes_ += size;
  return {};
}

Status FlatSink::start() {
  if (started_) return {};
  started_ = true;
  uint8_t header[kFlatHeaderSize] = {};
  std::memcpy(header, kFlatSignature, sizeof kFlatSignature - 1);
  put_be64(header + 16, kFlatType);
  put_be64(header + 24, kFlatVersion);
  return emit(header, sizeof header);
}

Status FlatSink::flush() {
  if (pending_.empty()) return {};
  uint8_t rec[kFlatRecordHeaderSize];
  put_be64(rec, static_cast<int64_t>(pending_offset_));
  put_be64(rec + 8, static_cast<int64_t>(pending_.size()));
  if (auto s = emit(rec, sizeof rec); !s) return s;
  if (auto s = emit(pending_.data(), pending_.size()); !s) return s;
  pending_.clear();
  return {};
}

Status FlatSink::write_at(uint64_t offset, const void* data, size_t size) {
  if (auto s = start(); !s) return s;
  const uint8_t* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    bool continues = !pending_.empty() && pending_offset_ + pending_.size() == offset;
    if (!continues || pending_.size() >= max_record_) {
      if (auto s = flush(); !s) return s;
      pending_offset_ = offset;
    }
    size_t n = std::min(size, max_record_ - pending_.size());
    pending_.insert(pending_.end(), p, p + n);
    p += n;
    offset += n;
    size -= n;
  }
  return {};
}

Status FlatSink::finish() {
  if (auto s = start(); !s) return s;
  if (auto s = flush(); !s) return s;
  uint8_t end[kFlatRecordHeaderSize];
  put_be64(end, -1);
  put_be64(end + 8, -1);
  return emit(end, sizeof end);
}

Status reassemble_flat(int in_fd, const std::string& in_name, int out_fd, const std::string& out_name) {
  uint8_t header[kFlatHeaderSize];
  uint64_t at = 0;
  if (auto s = read_stream(in_fd, header, sizeof header, in_name, at); !s) return s;
  at += sizeof header;
  if (std::memcmp(header, kFlatSignature, sizeof kFlatSignature - 1) != 0) {
    return Error{in_name + ": not a flattened dump (no \"makedumpfile\" signature)"};
  }
  if (get_be64(header + 16) != kFlatType) {
    return Error{format("%s: flattened header type %lld, expected %lld", in_name.c_str(),
                        static_cast<long long>(get_be64(header + 16)), static_cast<long long>(kFlatType))};
  }
  std::vector<uint8_t> buf(1 << 20);
  for (;;) {
    uint8_t rec[kFlatRecordHeaderSize];
    if (auto s = read_stream(in_fd, rec, sizeof rec, in_name, at); !s) return s;
    int64_t offset = get_be64(rec), size = get_be64(rec + 8);
    if (offset == -1 && size == -1) return {};
    if (offset < 0 || size <= 0 || size > (int64_t{1} << 40) || offset > INT64_MAX - size) {
      return Error{format("%s: bad flattened record {offset %lld, size %lld} at byte %llu", in_name.c_str(),
                          static_cast<long long>(offset), static_cast<long long>(size),
                          static_cast<unsigned long long>(at))};
    }
    at += sizeof rec;
    FileSink out(out_fd, out_name);
    while (size > 0) {
      size_t n = static_cast<size_t>(std::min<int64_t>(size, static_cast<int64_t>(buf.size())));
      if (auto s = read_stream(in_fd, buf.data(), n, in_name, at); !s) return s;
      if (auto s = out.write_at(static_cast<uint64_t>(offset), buf.data(), n); !s) return s;
      at += n;
      offset += static_cast<int64_t>(n);
      size -= static_cast<int64_t>(n);
    }
  }
}

}  // namespace kdk::dump
