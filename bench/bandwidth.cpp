// Memory read bandwidth: N threads each sum their slice of one large buffer, several passes, best
// pass reported. Token generation reads every weight once per token, so this bounds its speed
// (bench/compare_llama.py divides it by the bytes read per token).
//
//   exaone_bandwidth [--size-mib 1024] [-t N[,N...]] [--passes 5] [--json]
#include <immintrin.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

volatile uint64_t g_sink = 0;

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// Plain loop with four independent sums; the compiler vectorises it for the baseline ISA.
uint64_t SumPlain(const uint64_t* p, size_t n) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += p[i];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
  }
  for (; i < n; ++i) s0 += p[i];
  return s0 + s1 + s2 + s3;
}

// 256-bit loads, four accumulators (128 bytes per iteration). `p` is 32-byte aligned and `n` a
// multiple of 16.
__attribute__((target("avx2"))) uint64_t SumAvx2(const uint64_t* p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < n; i += 16) {
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 4)));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 8)));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 12)));
  }
  const __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

struct Result {
  int threads;
  double best_gbps;
  double median_gbps;
};

Result Measure(uint64_t* data, size_t words, int threads, int passes, bool avx2) {
  // Each thread owns a contiguous slice (a multiple of 16 words) and writes it first, so its
  // pages are placed near it.
  const size_t per = (words / static_cast<size_t>(threads)) / 16 * 16;
  std::vector<double> seconds(static_cast<size_t>(passes));
  std::vector<uint64_t> sums(static_cast<size_t>(threads));
  std::chrono::steady_clock::time_point start;
  std::barrier sync(threads, []() noexcept {});
  auto worker = [&](int t) {
    uint64_t* slice = data + static_cast<size_t>(t) * per;
    for (size_t i = 0; i < per; ++i) slice[i] = i ^ static_cast<uint64_t>(t);
    for (int pass = 0; pass < passes; ++pass) {
      sync.arrive_and_wait();
      if (t == 0) start = std::chrono::steady_clock::now();
      sync.arrive_and_wait();
      sums[static_cast<size_t>(t)] += avx2 ? SumAvx2(slice, per) : SumPlain(slice, per);
      sync.arrive_and_wait();
      if (t == 0) {
        seconds[static_cast<size_t>(pass)] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (auto& th : pool) th.join();

  uint64_t check = 0;
  for (uint64_t s : sums) check += s;
  g_sink = check;  // the sums are observable, so the loads cannot be dropped

  const double bytes = static_cast<double>(per) * 8.0 * threads;
  std::vector<double> sorted = seconds;
  std::sort(sorted.begin(), sorted.end());
  return {threads, bytes / sorted.front() / 1e9, bytes / sorted[sorted.size() / 2] / 1e9};
}

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "exaone_bandwidth: %s\nusage: exaone_bandwidth [--size-mib N] [-t N[,N...]] "
               "[--passes N] [--json]\n",
               why);
  std::exit(2);
}

int ParsePositive(const char* s, int max) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < 1 || v > max) Usage("bad number");
  return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  int size_mib = 1024;
  int passes = 5;
  bool json = false;
  std::vector<int> thread_counts;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--json") {
      json = true;
    } else if (a == "--size-mib" && has_value) {
      size_mib = ParsePositive(argv[++i], 1 << 20);
    } else if (a == "--passes" && has_value) {
      passes = ParsePositive(argv[++i], 10000);
    } else if ((a == "-t" || a == "--threads") && has_value) {
      std::string list = argv[++i];
      size_t pos = 0;
      while (pos <= list.size()) {
        const size_t comma = std::min(list.find(',', pos), list.size());
        thread_counts.push_back(ParsePositive(list.substr(pos, comma - pos).c_str(), 1024));
        pos = comma + 1;
      }
    } else if (a == "-h" || a == "--help") {
      Usage("measures memory read bandwidth");
    } else {
      Usage(("unknown or incomplete argument '" + a + "'").c_str());
    }
  }
  if (thread_counts.empty()) {
    thread_counts.push_back(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  }

  const size_t bytes = static_cast<size_t>(size_mib) << 20;
  std::unique_ptr<uint64_t, FreeDeleter> buffer(
      static_cast<uint64_t*>(std::aligned_alloc(4096, bytes)));
  if (!buffer) Usage("cannot allocate the buffer");
  const bool avx2 = __builtin_cpu_supports("avx2");

  std::vector<Result> results;
  for (int t : thread_counts) {
    if (static_cast<size_t>(t) * 16 * 8 > bytes) Usage("more threads than the buffer can split");
    results.push_back(Measure(buffer.get(), bytes / 8, t, passes, avx2));
  }

  if (json) {
    std::printf("[");
    for (size_t i = 0; i < results.size(); ++i) {
      std::printf(
          "%s\n  {\"threads\": %d, \"buffer_bytes\": %zu, \"passes\": %d, \"avx2\": %s, "
          "\"best_gbps\": %.3f, \"median_gbps\": %.3f}",
          i ? "," : "", results[i].threads, bytes, passes, avx2 ? "true" : "false",
          results[i].best_gbps, results[i].median_gbps);
    }
    std::printf("\n]\n");
  } else {
    for (const Result& r : results) {
      std::printf(
          "read bandwidth: %.2f GB/s best, %.2f GB/s median (%d threads, %d MiB, %d passes%s)\n",
          r.best_gbps, r.median_gbps, r.threads, size_mib, passes, avx2 ? ", AVX2" : "");
    }
  }
  return 0;
}
