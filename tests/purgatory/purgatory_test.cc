// The purgatory image the build embeds, run on the host: its SHA-256 against
// the NIST vectors (FIPS 180-4 examples, and the long message of the NIST
// test set) and against OpenSSL on every length around the block boundaries,
// and its verification routine on buffers with good and bad digests. The
// functions are called inside the very bytes the loader places in memory
// (mapped executable here), through the offsets in the image's header.
#include "purgatory/purgatory.h"

#include <sys/mman.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "purgatory/image.h"
#include "util/sha256.h"

namespace {

std::string hex(const std::uint8_t* d, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; i++) {
    s += digits[d[i] >> 4];
    s += digits[d[i] & 15];
  }
  return s;
}

// The image copied into executable memory, as the loader lays it out.
class MappedImage {
 public:
  MappedImage() {
    auto img = kdk::purgatory::image();
    const auto* h = reinterpret_cast<const kdk_purgatory_params*>(img.data() + KDK_PURGATORY_PARAMS_OFFSET);
    size_ = h->mem_size;
    mem_ = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(mem_ != MAP_FAILED);
    std::memcpy(mem_, img.data(), img.size());
  }
  ~MappedImage() { ::munmap(mem_, size_); }
  kdk_purgatory_params* params() {
    return reinterpret_cast<kdk_purgatory_params*>(static_cast<char*>(mem_) + KDK_PURGATORY_PARAMS_OFFSET);
  }
  kdk_purgatory_sha256_fn sha256() {
    return reinterpret_cast<kdk_purgatory_sha256_fn>(static_cast<char*>(mem_) + params()->sha256_offset);
  }
  kdk_purgatory_verify_fn verify() {
    return reinterpret_cast<kdk_purgatory_verify_fn>(static_cast<char*>(mem_) + params()->verify_offset);
  }
  std::string digest(const void* data, size_t n) {
    std::uint8_t out[32];
    sha256()(data, n, out);
    return hex(out, 32);
  }

 private:
  void* mem_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

TEST_CASE("the purgatory image carries its layout in the parameter block", "[purgatory]") {
  auto img = kdk::purgatory::image();
  REQUIRE(img.size() > KDK_PURGATORY_PARAMS_OFFSET + KDK_PURGATORY_PARAMS_SIZE);
  const auto* h = reinterpret_cast<const kdk_purgatory_params*>(img.data() + KDK_PURGATORY_PARAMS_OFFSET);
  CHECK(std::memcmp(h->magic, "KDKPURG", 8) == 0);
  CHECK(h->version == KDK_PURGATORY_VERSION);
  CHECK(h->params_size == KDK_PURGATORY_PARAMS_SIZE);
  CHECK(h->image_size == img.size());
  CHECK(h->mem_size >= h->image_size + 4096);  // its stack
  CHECK(h->sha256_offset < h->image_size);
  CHECK(h->verify_offset < h->image_size);
  // The loader's part is zero in the image.
  CHECK(h->entry_rip == 0);
  CHECK(h->nr_regions == 0);
  // Small: it is copied into every load and sits in the crash reservation.
  CHECK(img.size() < 16 * 1024);
  // The first instruction jumps over the block (e9 rel32 or eb rel8).
  CHECK((img[0] == 0xe9 || img[0] == 0xeb));
}

TEST_CASE("the purgatory's SHA-256 gives the NIST digests", "[purgatory]") {
  MappedImage m;
  struct Vector {
    std::string message;
    const char* digest;
  };
  const Vector vectors[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopq"
       "rstnopqrstu",
       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
      {std::string(1000000, 'a'), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
  for (const auto& v : vectors) {
    INFO("message of " << v.message.size() << " bytes");
    CHECK(m.digest(v.message.data(), v.message.size()) == v.digest);
  }
}

TEST_CASE("the purgatory's SHA-256 agrees with OpenSSL at every length around the block size",
          "[purgatory]") {
  MappedImage m;
  std::vector<std::uint8_t> data(300);
  for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<std::uint8_t>(i * 131 + 7);
  for (size_t n = 0; n <= data.size(); n++) {
    INFO(n << " bytes");
    CHECK(m.digest(data.data(), n) == kdk::sha256_hex(data.data(), n));
  }
}

TEST_CASE("the purgatory's verification accepts good digests and names the first bad one", "[purgatory]") {
  MappedImage m;
  std::vector<std::vector<std::uint8_t>> buffers = {
      std::vector<std::uint8_t>(8192, 0x11), std::vector<std::uint8_t>(4096 * 3 + 17, 0x22),
      std::vector<std::uint8_t>(1, 0x33), std::vector<std::uint8_t>()};
  kdk_purgatory_params* p = m.params();
  p->nr_regions = static_cast<std::uint32_t>(buffers.size());
  for (size_t i = 0; i < buffers.size(); i++) {
    p->regions[i].start = reinterpret_cast<std::uintptr_t>(buffers[i].data());
    p->regions[i].len = buffers[i].size();
    m.sha256()(buffers[i].data(), buffers[i].size(), p->regions[i].sha256);
  }
  auto verify = m.verify();
  CHECK(verify(p) == -1);

  buffers[1][4096] ^= 0x01;  // one bit in the second segment
  CHECK(verify(p) == 1);
  buffers[1][4096] ^= 0x01;
  CHECK(verify(p) == -1);

  p->regions[2].sha256[31] ^= 0x80;  // a wrong stored digest
  CHECK(verify(p) == 2);
  p->regions[0].sha256[0] ^= 0x01;  // the first mismatch is reported
  CHECK(verify(p) == 0);
  p->regions[0].sha256[0] ^= 0x01;
  p->regions[2].sha256[31] ^= 0x80;
  CHECK(verify(p) == -1);

  p->nr_regions = KDK_PURGATORY_MAX_REGIONS + 1;  // never trusted
  CHECK(verify(p) == KDK_PURGATORY_MAX_REGIONS);
  p->nr_regions = 0;  // nothing to check
  CHECK(verify(p) == -1);
}
