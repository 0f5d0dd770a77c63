#include "agent/dump/page_pipeline.h"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace kdk::dump {

namespace {

bool all_zero(const uint8_t* p, size_t n) {
  // Word compares first; pages are page aligned so this is the fast path.
  const uint64_t* w = reinterpret_cast<const uint64_t*>(p);
  size_t words = n / 8;
  for (size_t i = 0; i < words; i += 8) {
    uint64_t acc = 0;
    for (size_t j = i; j < i + 8 && j < words; ++j) acc |= w[j];
    if (acc) return false;
  }
  for (size_t i = words * 8; i < n; ++i) {
    if (p[i]) return false;
  }
  return true;
}

struct Slot {
  enum class State { free, queued, done };
  State state = State::free;  // guarded by Impl::mu
  std::vector<uint64_t> pfns;
  std::vector<PageResult> results;  // data filled in as offsets, fixed up on delivery
  std::vector<size_t> offsets;
  std::vector<uint8_t> data;
  Status status;
};

}  // namespace

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

  Slot& slot(uint64_t seq) { return slots[seq % slots.size()]; }

  void work() {
    std::unique_ptr<PageReader> reader;
    std::unique_ptr<Compressor> compressor;
    Status init;
    if (auto r = pages->open_reader())
      reader = std::move(*r);
    else
      init = r.error();
    if (init) {
      if (auto c = make_compressor(config.compression))
        compressor = std::move(*c);
      else
        init = c.error();
    }
    std::vector<uint8_t> scratch(page_size);
    std::vector<uint8_t> out(compressor ? std::max<size_t>(compressor->max_output(page_size), page_size)
                                        : page_size);
    for (;;) {
      uint64_t seq;
      {
        std::unique_lock lock(mu);
        work_cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;
        seq = queue.front();
        queue.pop_front();
      }
      Slot& s = slot(seq);
      Status st = init ? process(s, *reader, *compressor, scratch.data(), out.data()) : init;
      {
        std::lock_guard lock(mu);
        s.status = st;
        s.state = Slot::State::done;
      }
      done_cv.notify_all();
    }
  }

  Status process(Slot& s, PageReader& reader, Compressor& compressor, uint8_t* scratch, uint8_t* out) {
    s.results.resize(s.pfns.size());
    s.offsets.resize(s.pfns.size());
    size_t used = 0;
    for (size_t i = 0; i < s.pfns.size(); ++i) {
      PageResult& r = s.results[i];
      r = PageResult{};
      r.pfn = s.pfns[i];
      auto page = reader.read(r.pfn, scratch);
      if (!page) return page.error();
      const uint8_t* p = *page;
      s.offsets[i] = used;
      if (config.detect_zero && all_zero(p, page_size)) {
        r.zero = true;
        continue;
      }
      size_t n = compressor.compress(p, page_size, out);
      if (n > 0) {
        r.flags = compression_flag(config.compression);
        r.size = static_cast<uint32_t>(n);
        std::memcpy(s.data.data() + used, out, n);
      } else {
        r.size = static_cast<uint32_t>(page_size);
        std::memcpy(s.data.data() + used, p, page_size);
      }
      used += r.size;
    }
    return {};
  }

  // Waits for the oldest batch, hands its pages to the consumer, frees it.
  Status deliver_oldest() {
    Slot& s = slot(next_deliver);
    {
      std::unique_lock lock(mu);
      done_cv.wait(lock, [&] { return s.state == Slot::State::done; });
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
  impl->slots.resize(impl->config.batches);
  for (auto& s : impl->slots) {
    s.pfns.reserve(impl->config.batch_pages);
    s.data.resize(impl->config.batch_pages * impl->page_size);
  }
  for (unsigned i = 0; i < impl->config.threads; ++i) {
    Impl* p = impl.get();
    impl->workers.emplace_back([p] { p->work(); });
  }
  return std::unique_ptr<PagePipeline>(new PagePipeline(std::move(impl)));
}

Status PagePipeline::push(uint64_t pfn) {
  Impl& m = *impl_;
  if (!m.failed) return m.failed;
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
