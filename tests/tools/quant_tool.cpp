// Test-only access to DequantizeRow / QuantizeRow from the command line, so that the pytest
// checks can compare them with the gguf package:
//
//   exaone_quant_tool dequant TYPE IN.bin OUT.f32
//       IN.bin: whole blocks of TYPE; OUT.f32: the float32 values (little-endian).
//   exaone_quant_tool quant TYPE IN.f32 OUT.bin [--row N] [--importance IMP.f32] [--threads T]
//       IN.f32 holds rows of N float32 values (default: one row of everything); IMP.f32 holds N
//       non-negative weights, one per column. Prints the seconds spent quantizing.
//   exaone_quant_tool bench TYPE MILLIONS THREADS
//       Quantizes MILLIONS * 2^20 seeded gaussian values in rows of 2048 on THREADS threads and
//       prints the rate.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "base/dtype.h"
#include "base/error.h"
#include "kernels/quant/format.h"

namespace {

using exaone::DType;
namespace q = exaone::kernels::quant;

std::vector<char> ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  return std::vector<char>(std::istreambuf_iterator<char>(f), {});
}

void WriteFile(const std::string& path, const void* data, size_t bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  if (!f) throw std::runtime_error("cannot write " + path);
}

DType ParseType(const std::string& name) {
  std::optional<DType> t = exaone::DTypeFromName(name);
  if (!t) throw std::runtime_error("unknown type " + name);
  return *t;
}

std::vector<float> AsFloats(const std::vector<char>& raw) {
  if (raw.size() % 4 != 0) throw std::runtime_error("float32 file size is not a multiple of 4");
  std::vector<float> v(raw.size() / 4);
  if (!v.empty()) std::memcpy(v.data(), raw.data(), raw.size());
  return v;
}

size_t ParseSize(const std::string& s) {
  size_t pos = 0;
  const unsigned long long v = std::stoull(s, &pos);
  if (pos != s.size()) throw std::runtime_error("not a number: " + s);
  return static_cast<size_t>(v);
}

// Quantizes rows [0, rows) of x (row length n) into out, split over `threads` threads.
double QuantizeRows(DType t, const float* x, size_t rows, size_t n, const float* importance,
                    size_t threads, char* out) {
  const size_t row_bytes = n / exaone::GetDTypeInfo(t).block * exaone::GetDTypeInfo(t).block_bytes;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  std::vector<std::string> errors(threads);
  for (size_t k = 0; k < threads; ++k) {
    pool.emplace_back([&, k] {
      try {
        for (size_t r = k; r < rows; r += threads) {
          q::QuantizeRow(t, x + r * n, n, out + r * row_bytes, importance);
        }
      } catch (const std::exception& e) {
        errors[k] = e.what();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (const auto& e : errors) {
    if (!e.empty()) throw std::runtime_error(e);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int Dequant(int argc, char** argv) {
  if (argc != 5) throw std::runtime_error("usage: dequant TYPE IN.bin OUT.f32");
  const DType t = ParseType(argv[2]);
  if (!q::CanDequantize(t)) throw std::runtime_error("cannot dequantize this type");
  const exaone::DTypeInfo info = exaone::GetDTypeInfo(t);
  const std::vector<char> raw = ReadFile(argv[3]);
  if (raw.size() % info.block_bytes != 0) throw std::runtime_error("partial block");
  const size_t n = raw.size() / info.block_bytes * info.block;
  std::vector<float> out(n);
  q::DequantizeRow(t, raw.data(), n, out.data());
  WriteFile(argv[4], out.data(), n * sizeof(float));
  return 0;
}

int Quant(int argc, char** argv) {
  if (argc < 5) throw std::runtime_error("usage: quant TYPE IN.f32 OUT.bin [options]");
  const DType t = ParseType(argv[2]);
  if (!q::CanQuantize(t)) throw std::runtime_error("cannot quantize to this type");
  const exaone::DTypeInfo info = exaone::GetDTypeInfo(t);
  const std::vector<float> x = AsFloats(ReadFile(argv[3]));
  size_t n = x.size(), threads = 1;
  std::vector<float> importance;
  for (int i = 5; i < argc; i += 2) {
    const std::string opt = argv[i];
    if (i + 1 >= argc) throw std::runtime_error(opt + " needs a value");
    if (opt == "--row") {
      n = ParseSize(argv[i + 1]);
    } else if (opt == "--importance") {
      importance = AsFloats(ReadFile(argv[i + 1]));
    } else if (opt == "--threads") {
      threads = ParseSize(argv[i + 1]);
    } else {
      throw std::runtime_error("unknown option " + opt);
    }
  }
  if (n == 0 || x.size() % n != 0 || n % info.block != 0 || threads == 0) {
    throw std::runtime_error("row length must divide the input and be a multiple of the block");
  }
  if (!importance.empty() && importance.size() != n) {
    throw std::runtime_error("importance must hold one weight per column");
  }
  const size_t rows = x.size() / n;
  std::vector<char> out(rows * (n / info.block) * info.block_bytes);
  const double s = QuantizeRows(
      t, x.data(), rows, n, importance.empty() ? nullptr : importance.data(), threads, out.data());
  WriteFile(argv[4], out.data(), out.size());
  std::printf("%.6f\n", s);
  return 0;
}

int Bench(int argc, char** argv) {
  if (argc != 5) throw std::runtime_error("usage: bench TYPE MILLIONS THREADS");
  const DType t = ParseType(argv[2]);
  const exaone::DTypeInfo info = exaone::GetDTypeInfo(t);
  const size_t n = 2048, total = ParseSize(argv[3]) << 20, threads = ParseSize(argv[4]);
  if (total == 0 || threads == 0) throw std::runtime_error("need MILLIONS > 0 and THREADS > 0");
  std::vector<float> x(total);
  std::mt19937 rng(1234);
  std::normal_distribution<float> g(0.0f, 0.02f);
  for (float& v : x) v = g(rng);
  std::vector<char> out(total / info.block * info.block_bytes);
  // CPU time as well as wall time: on a busy machine the wall time says little.
  const std::clock_t c0 = std::clock();
  const double s = QuantizeRows(t, x.data(), total / n, n, nullptr, threads, out.data());
  const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  const double per = cpu * 1e9 / static_cast<double>(total);
  std::printf(
      "%s: %zu values, %zu threads: wall %.3f s, cpu %.3f s = %.2f ns/value; 1.2e9 "
      "values on %zu idle threads: %.1f s\n",
      info.name, total, threads, s, cpu, per, threads, per * 1.2 / static_cast<double>(threads));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "dequant") return Dequant(argc, argv);
    if (cmd == "quant") return Quant(argc, argv);
    if (cmd == "bench") return Bench(argc, argv);
    std::fprintf(stderr, "usage: exaone_quant_tool dequant|quant|bench ...\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
