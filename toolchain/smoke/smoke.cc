// Smoke test of the static musl C++20 toolchain and its third-party
// libraries. Prints one line per check and "OK" last; exits non-zero on
// the first failure. No iostreams / locales (they do not work on musl).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <curl/curl.h>
#include <libssh2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <zstd.h>

#include KDK_DEP_VERSIONS_H
#include "smoke_c.h"

namespace {

int failures = 0;

void check(bool ok, const char *what, const std::string &detail = {}) {
  std::printf("%-4s %s%s%s\n", ok ? "ok" : "FAIL", what, detail.empty() ? "" : ": ",
              detail.c_str());
  if (!ok) failures++;
}

[[gnu::noinline]] int deep_throw(int depth) {
  if (depth == 0) throw std::runtime_error("thrown from depth 0");
  return deep_throw(depth - 1) + 1;
}

void test_exceptions() {
  std::string what;
  try {
    std::function<int()> f = [] { return deep_throw(20); };
    f();
  } catch (const std::exception &e) {
    what = e.what();
  }
  check(what == "thrown from depth 0", "exception through 20 frames", what);

  std::exception_ptr from_thread;
  std::thread t([&] {
    try {
      throw std::out_of_range("from thread");
    } catch (...) {
      from_thread = std::current_exception();
    }
  });
  t.join();
  try {
    if (from_thread) std::rethrow_exception(from_thread);
    what = "nothing";
  } catch (const std::out_of_range &e) {
    what = e.what();
  }
  check(what == "from thread", "exception_ptr across threads", what);

  bool caught = false;
  try {
    std::vector<int> v;
    (void)v.at(3);
  } catch (const std::out_of_range &) {
    caught = true;
  }
  check(caught, "std::vector::at throws out_of_range");
}

struct ThreadLocalProbe {
  std::atomic<int> *counter;
  ~ThreadLocalProbe() { counter->fetch_add(1); }
};

void test_threads() {
  std::mutex m;
  std::condition_variable cv;
  std::map<int, std::string> results;
  int ready = 0;
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; i++) {
    workers.emplace_back([&, i] {
      std::string s = "worker-" + std::to_string(i);
      std::lock_guard<std::mutex> lock(m);
      results[i] = s;
      ready++;
      cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(m);
    // steady_clock timeout -> pthread_cond_clockwait (shim)
    bool done = cv.wait_for(lock, std::chrono::seconds(10), [&] { return ready == 4; });
    check(done, "condition_variable::wait_for");
  }
  for (auto &w : workers) w.join();
  check(results.size() == 4 && results[3] == "worker-3", "threads + mutex + map<int,string>");

  // A timeout that really expires.
  {
    std::unique_lock<std::mutex> lock(m);
    auto t0 = std::chrono::steady_clock::now();
    auto st = cv.wait_for(lock, std::chrono::milliseconds(30));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - t0)
                  .count();
    check(st == std::cv_status::timeout && ms >= 25, "condition_variable timeout",
          std::to_string(ms) + " ms");
  }

  // pthread_mutex_clocklock / pthread_rwlock_clock*lock (shims)
  std::timed_mutex tm;
  tm.lock();
  bool got = true;
  std::thread([&] { got = tm.try_lock_for(std::chrono::milliseconds(20)); }).join();
  tm.unlock();
  check(!got, "timed_mutex::try_lock_for times out");
  std::shared_timed_mutex sm;
  bool shared_ok = sm.try_lock_shared_for(std::chrono::milliseconds(5));
  if (shared_ok) sm.unlock_shared();
  bool excl_ok = sm.try_lock_for(std::chrono::milliseconds(5));
  if (excl_ok) sm.unlock();
  check(shared_ok && excl_ok, "shared_timed_mutex timed locks");

  // thread_local destructors (__cxa_thread_atexit_impl shim)
  std::atomic<int> destroyed{0};
  std::thread([&] {
    thread_local ThreadLocalProbe probe{nullptr};
    probe.counter = &destroyed;
  }).join();
  check(destroyed.load() == 1, "thread_local destructor runs at thread exit");

  // 8 MiB default thread stacks (PT_GNU_STACK), not musl's 128 KiB.
  std::atomic<unsigned> sum{0};
  std::thread([&] {
    volatile unsigned char big[2 << 20];
    for (size_t i = 0; i < sizeof big; i += 4096) big[i] = (unsigned char)i;
    unsigned s = 0;
    for (size_t i = 0; i < sizeof big; i += 4096) s += big[i];
    sum = s + 1;
  }).join();
  check(sum.load() != 0, "2 MiB on a thread's stack");
}

void test_random() {
  std::random_device rd("arc4random");  // arc4random shim
  unsigned a = rd(), b = rd(), c = rd();
  check(!(a == b && b == c), "random_device(arc4random)");
}

void test_zstd() {
  std::string input;
  for (int i = 0; i < 20000; i++) input += "kdumpkit zstd " + std::to_string(i % 97) + "\n";
  std::vector<char> packed(ZSTD_compressBound(input.size()));
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
  size_t mt = ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, 2);
  size_t n = ZSTD_compress2(cctx, packed.data(), packed.size(), input.data(), input.size());
  ZSTD_freeCCtx(cctx);
  bool ok = !ZSTD_isError(n) && !ZSTD_isError(mt);
  std::string output(input.size(), '\0');
  size_t m = ok ? ZSTD_decompress(output.data(), output.size(), packed.data(), n) : 0;
  ok = ok && !ZSTD_isError(m) && m == input.size() && output == input;
  check(ok, "zstd round trip (2 workers)",
        std::to_string(input.size()) + " -> " + std::to_string(n) + " bytes");
  check(std::strcmp(ZSTD_versionString(), ZSTD_VERSION_STRING) == 0, "zstd version",
        ZSTD_versionString());
}

void test_openssl() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  bool ok = EVP_Digest("abc", 3, md, &len, EVP_sha256(), nullptr) == 1;
  char hex[2 * EVP_MAX_MD_SIZE + 1] = {};
  for (unsigned i = 0; i < len; i++) std::snprintf(hex + 2 * i, 3, "%02x", md[i]);
  check(ok && std::strcmp(hex,
                          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") ==
                  0,
        "OpenSSL EVP SHA-256(\"abc\")", hex);
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  check(ctx != nullptr, "OpenSSL SSL_CTX_new(TLS_client_method)");
  SSL_CTX_free(ctx);
  check(OpenSSL_version_num() == OPENSSL_VERSION_NUMBER, "OpenSSL version",
        OpenSSL_version(OPENSSL_VERSION));
}

void test_curl() {
  check(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK, "curl_global_init");
  const curl_version_info_data *info = curl_version_info(CURLVERSION_NOW);
  std::string protocols;
  for (const char *const *p = info->protocols; *p; p++) protocols += std::string(*p) + " ";
  check(protocols == "http https ", "curl protocols are http, https only", protocols);
  check((info->features & CURL_VERSION_SSL) && (info->features & CURL_VERSION_LIBZ) &&
            (info->features & CURL_VERSION_ZSTD) && (info->features & CURL_VERSION_ASYNCHDNS),
        "curl features ssl libz zstd threaded-resolver",
        std::string(info->ssl_version) + ", " + info->libz_version);
  check(std::strcmp(info->version, LIBCURL_VERSION) == 0, "curl version", info->version);
  CURL *easy = curl_easy_init();
  bool ok = easy && curl_easy_setopt(easy, CURLOPT_URL, "https://example.invalid/") == CURLE_OK;
  curl_easy_cleanup(easy);
  check(ok, "curl easy handle create + cleanup (no network)");
  curl_global_cleanup();
}

// libssh2 with the OpenSSL backend: the algorithms the SSH targets need.
void test_libssh2() {
  check(libssh2_init(0) == 0, "libssh2_init");
  const char *version = libssh2_version(0);
  check(version && std::strcmp(version, LIBSSH2_VERSION) == 0, "libssh2 version", version ? version : "");
  LIBSSH2_SESSION *session = libssh2_session_init();
  check(session != nullptr, "libssh2_session_init");
  if (!session) return;
  auto has = [&](int method, const char *want) {
    const char **algs = nullptr;
    int n = libssh2_session_supported_algs(session, method, &algs);
    bool found = false;
    for (int i = 0; i < n; i++) found = found || std::strcmp(algs[i], want) == 0;
    if (n > 0) libssh2_free(session, algs);
    check(found, "libssh2 supports", want);
  };
  has(LIBSSH2_METHOD_HOSTKEY, "ssh-ed25519");
  has(LIBSSH2_METHOD_HOSTKEY, "ecdsa-sha2-nistp256");
  has(LIBSSH2_METHOD_KEX, "curve25519-sha256");
  has(LIBSSH2_METHOD_CRYPT_CS, "aes256-ctr");
  has(LIBSSH2_METHOD_MAC_CS, "hmac-sha2-256");
  libssh2_session_free(session);
  libssh2_exit();
}

}  // namespace

int main() {
  std::printf("kdumpkit toolchain smoke test: %s\n", KDK_DEP_VERSIONS);
  test_exceptions();
  test_threads();
  test_random();
  test_zstd();
  int z = kdk_smoke_zlib();
  check(z > 0, "zlib round trip", std::to_string(z));
  int l = kdk_smoke_lzo();
  check(l > 0, "lzo1x round trip", std::to_string(l));
  test_openssl();
  test_curl();
  test_libssh2();
  if (failures) {
    std::printf("%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("OK\n");
  return 0;
}
