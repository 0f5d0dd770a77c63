#include "engine/dump/page_pipeline.h"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace kdk::dump {

namespace {

// The byte every byte of the page equals, or -1. Pages are page aligned:
// 16-byte vector compares (SSE2 on x86-64, whatever -O2 does elsewhere),
// and most pages differ within the first bytes.
int uniform_byte(const uint8_t* p, size_t n) {
  if (n % 64 != 0) {
    for (size_t i = 1; i < n; ++i) {
      if (p[i] != p[0]) return -1;
    }
    return p[0];
  }
  using V = uint64_t __attribute__((vector_size(16)));
  uint64_t first;
  std::memcpy(&first, p, 8);
  if (first != p[0] * 0x0101010101010101ULL) return -1;
  const V pattern = {first, first};
  for (size_t i = 0; i < n; i += 64) {
    V a, b, c, d;
    std::memcpy(&a, p + i, 16);
    std::memcpy(&b, p + i + 16, 16);
    std::memcpy(&c, p + i + 32, 16);
    std::memcpy(&d, p + i + 48, 16);
    V diff = (a ^ pattern) | (b ^ pattern) | (c ^ pattern) | (d ^ pattern);
    if (diff[0] | diff[1]) return -1;
  }
  return p[0];
}

struct Slot {
  enum class State { free, queued, busy, done };
  State state = State::free;  // guarded by Impl::mu
  std::vector<uint64_t> pfns;
  std::vector<PageResult> results;  // data filled in as offsets, fixed up on delivery
  std::vector<size_t> offsets;
  std::vector<uint8_t> data;
  Status status;
};

}  // namespace

// What one thread needs to turn pfns into stored pages: its own reader
// (mmap window) and compressor, buffers, and the compressed form of the
// uniform pages (every byte the same: poisoned, 0xff-filled) it has seen,
// which are common in vmcores and cost zlib as much as any page. A
// compressor's output depends only on its input page, so reusing it keeps
// the bytes identical.
struct PagePipeline::Encoder {
  std::unique_ptr<PageReader> reader;
  std::unique_ptr<Compressor> compressor;
  std::vector<uint8_t> scratch;
  std::vector<uint8_t> out;
  struct Uniform {
    bool known = false;
    uint32_t size = 0;  // 0: stored raw
    std::vector<uint8_t> bytes;
  };
  std::vector<Uniform> uniform;  // by byte value, filled in lazily
  Status init;

  Encoder(PageSource& pages, Compression compression) {
    const size_t page_size = pages.page_size();
    auto r = pages.open_reader();
    if (!r) {
      init = r.error();
      return;
    }
    reader = std::move(*r);
    auto c = make_compressor(compression);
    if (!c) {
      init = c.error();
      return;
    }
    compressor = std::move(*c);
    scratch.resize(page_size);
    out.resize(std::max<size_t>(compressor->max_output(page_size), page_size));
    uniform.resize(256);
  }

  // Reads and compresses page `pfn` into `r`, whose data points into `out`,
  // the cache, the mapping or `scratch`: valid until the next call.
  Status encode(const PipelineConfig& config, size_t page_size, uint64_t pfn, PageResult& r) {
    r = PageResult{};
    r.pfn = pfn;
    if (!init) return init;
    auto page = reader->read(pfn, scratch.data());
    if (!page) return page.error();
    const uint8_t* p = *page;
    int same = uniform_byte(p, page_size);
    if (same == 0 && config.detect_zero) {
      r.zero = true;
      return {};
    }
    const uint32_t flag = compression_flag(config.compression);
    if (same >= 0) {
      Uniform& u = uniform[static_cast<size_t>(same)];
      if (!u.known) {
        size_t n = compressor->compress(p, page_size, out.data());
        u.size = static_cast<uint32_t>(n);
        u.bytes.assign(out.data(), out.data() + n);
        u.known = true;
      }
      if (u.size > 0) {
        r.flags = flag;
        r.size = u.size;
        r.data = u.bytes.data();
        return {};
      }
    } else if (size_t n = compressor->compress(p, page_size, out.data()); n > 0) {
      r.flags = flag;
      r.size = static_cast<uint32_t>(n);
      r.data = out.data();
      return {};
    }
    r.size = static_cast<uint32_t>(page_size);
    r.data = p;
    return {};
  }
};

struct PagePipeline::Impl {
  PipelineConfig config;
  PageSource* pages = nullptr;
  uint64_t page_size = 0;
  PageConsumer consumer;

  std::vector<Slot> slots;
  uint64_t next_fill = 0;      // sequence number of the batch being filled
  uint64_t next_deliver = 0;   // oldest batch not yet delivered
  std::deque<uint64_t> queue;  // batches ready for a worker

  std::mutex mu;
  std::condition_variable work_cv;  // workers wait for queue / stop
  std::condition_variable done_cv;  // the consumer waits for a batch
  bool stopping = false;
  std::vector<std::thread> workers;
  Status failed;         // first delivery error; the pipeline refuses work after it
  bool filling = false;  // slot(next_fill) has pfns not yet submitted

  // The caller's own encoder. With one thread the caller does all the work
  // (no workers, no slots, no copies); with more it runs threads - 1
  // workers and compresses queued batches itself while it waits for the
  // oldest one.
  std::unique_ptr<Encoder> own;
  bool inline_mode = false;

  Slot& slot(uint64_t seq) { return slots[seq % slots.size()]; }

  Status push_inline(uint64_t pfn) {
    PageResult r;
    if (auto st = own->encode(config, page_size, pfn, r); !st) return st;
    return consumer(r);
  }

  void work() {
    Encoder enc(*pages, config.compression);
    for (;;) {
      uint64_t seq;
      {
        std::unique_lock lock(mu);
        work_cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;
        seq = queue.front();
        queue.pop_front();
        slot(seq).state = Slot::State::busy;
      }
      run(enc, slot(seq));
    }
  }

  void run(Encoder& enc, Slot& s) {
    Status st = process(enc, s);
    {
      std::lock_guard lock(mu);
      s.status = st;
      s.state = Slot::State::done;
    }
    done_cv.notify_all();
  }

  Status process(Encoder& enc, Slot& s) {
    s.results.resize(s.pfns.size());
    s.offsets.resize(s.pfns.size());
    size_t used = 0;
    for (size_t i = 0; i < s.pfns.size(); ++i) {
      PageResult& r = s.results[i];
      if (auto st = enc.encode(config, page_size, s.pfns[i], r); !st) return st;
      s.offsets[i] = used;
      if (r.zero) continue;
      std::memcpy(s.data.data() + used, r.data, r.size);
      r.data = nullptr;
      used += r.size;
    }
    return {};
  }

  // Waits for the oldest batch (compressing queued ones meanwhile), hands
  // its pages to the consumer, frees it.
  Status deliver_oldest() {
    Slot& s = slot(next_deliver);
    for (;;) {
      uint64_t seq;
      {
        std::unique_lock lock(mu);
        done_cv.wait(lock, [&] { return s.state == Slot::State::done || !queue.empty(); });
        if (s.state == Slot::State::done) break;
        seq = queue.front();
        queue.pop_front();
        slot(seq).state = Slot::State::busy;
      }
      run(*own, slot(seq));
    }
    Status st = s.status;
    if (st) {
      for (size_t i = 0; i < s.results.size() && st; ++i) {
        s.results[i].data = s.data.data() + s.offsets[i];
        st = consumer(s.results[i]);
      }
    }
    {
      std::lock_guard lock(mu);
      s.state = Slot::State::free;
    }
    s.pfns.clear();
    ++next_deliver;
    return st;
  }

  void submit_filling() {
    Slot& s = slot(next_fill);
    {
      std::lock_guard lock(mu);
      s.state = Slot::State::queued;
      queue.push_back(next_fill);
    }
    work_cv.notify_one();
    ++next_fill;
    filling = false;
  }

  void stop() {
    {
      std::lock_guard lock(mu);
      stopping = true;
      queue.clear();
    }
    work_cv.notify_all();
    for (auto& t : workers) t.join();
    workers.clear();
  }
};

size_t pipeline_batch_bytes(size_t batch_pages, uint64_t page_size) {
  return batch_pages * (page_size + sizeof(uint64_t) + sizeof(PageResult) + sizeof(size_t));
}

PagePipeline::PagePipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PagePipeline::~PagePipeline() {
  if (impl_) {
    // Workers may still hold queued batches; wait for the running ones.
    impl_->stop();
  }
}

Result<std::unique_ptr<PagePipeline>> PagePipeline::start(const PipelineConfig& config, PageSource& pages,
                                                          PageConsumer consumer) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->config.threads = std::max(1u, config.threads);
  impl->config.batch_pages = std::max<size_t>(1, config.batch_pages);
  impl->config.batches = std::max<size_t>(2, config.batches);
  impl->pages = &pages;
  impl->page_size = pages.page_size();
  impl->consumer = std::move(consumer);
  impl->own = std::make_unique<Encoder>(pages, impl->config.compression);
  if (!impl->own->init) return impl->own->init.error();
  if (impl->config.threads == 1) {
    impl->inline_mode = true;
    return std::unique_ptr<PagePipeline>(new PagePipeline(std::move(impl)));
  }
  impl->slots.resize(impl->config.batches);
  for (auto& s : impl->slots) {
    s.pfns.reserve(impl->config.batch_pages);
    s.data.resize(impl->config.batch_pages * impl->page_size);
  }
  for (unsigned i = 1; i < impl->config.threads; ++i) {
    Impl* p = impl.get();
    impl->workers.emplace_back([p] { p->work(); });
  }
  return std::unique_ptr<PagePipeline>(new PagePipeline(std::move(impl)));
}

Status PagePipeline::push(uint64_t pfn) {
  Impl& m = *impl_;
  if (!m.failed) return m.failed;
  if (m.inline_mode) {
    if (auto st = m.push_inline(pfn); !st) return m.failed = st;
    return {};
  }
  if (!m.filling) {
    // The ring is full when the next slot still holds an undelivered batch.
    while (m.next_fill - m.next_deliver >= m.slots.size()) {
      if (auto st = m.deliver_oldest(); !st) return m.failed = st;
    }
    m.filling = true;
  }
  Slot& s = m.slot(m.next_fill);
  s.pfns.push_back(pfn);
  if (s.pfns.size() == m.config.batch_pages) m.submit_filling();
  return {};
}

Status PagePipeline::finish() {
  Impl& m = *impl_;
  if (m.inline_mode) return m.failed;
  if (!m.failed) {
    m.stop();
    return m.failed;
  }
  if (m.filling) m.submit_filling();
  while (m.next_deliver < m.next_fill) {
    if (auto st = m.deliver_oldest(); !st) {
      m.failed = st;
      break;
    }
  }
  m.stop();
  return m.failed;
}

}  // namespace kdk::dump
