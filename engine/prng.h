// Prng: xoshiro256** (Blackman & Vigna, https://prng.di.unimi.it/), seeded by the caller.
//
// The engine's only source of non-cryptographic randomness (jitter, peer choice). Seeded from
// the node's config so a run replays bit for bit; range mapping is our own because <random>'s
// distributions differ between standard libraries, which would break cross-machine replay.
// Not for keys: ephemeral key material comes from engine/crypto.h's KeyStream.
//
//   Prng prng(config.rng_seed);
//   const std::uint64_t index = prng.below(peers.size());
#pragma once

#include <cstdint>

#include "engine/assert.h"

namespace mesh::engine {

// 128-bit product for the range mapping; __extension__ keeps -Wpedantic quiet about a type
// g++ has always had.
__extension__ typedef unsigned __int128 Uint128;

class Prng {
 public:
  explicit Prng(std::uint64_t seed) {
    // splitmix64 expands the seed so that nearby seeds give unrelated streams and the state is
    // never all zero (xoshiro's one forbidden state).
    std::uint64_t x = seed;
    for (std::uint64_t& word : state_) {
      x += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = x;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
    MESH_ASSERT((state_[0] | state_[1] | state_[2] | state_[3]) != 0);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, bound), without modulo bias (Lemire's multiply-shift with rejection).
  std::uint64_t below(std::uint64_t bound) {
    MESH_ASSERT(bound > 0);
    while (true) {
      const Uint128 product = static_cast<Uint128>(next()) * static_cast<Uint128>(bound);
      const auto low = static_cast<std::uint64_t>(product);
      // Reject the few low values that would make some results more likely than others.
      if (low >= (0 - bound) % bound) {
        return static_cast<std::uint64_t>(product >> 64);
      }
    }
  }

  // Uniform in [low, high], inclusive.
  std::int64_t between(std::int64_t low, std::int64_t high) {
    MESH_ASSERT(low <= high);
    const auto span = static_cast<std::uint64_t>(high - low);
    if (span == UINT64_MAX) return static_cast<std::int64_t>(next());
    return low + static_cast<std::int64_t>(below(span + 1));
  }

  // True with probability numerator/denominator.
  bool chance(std::uint64_t numerator, std::uint64_t denominator) {
    MESH_ASSERT(denominator > 0);
    MESH_ASSERT(numerator <= denominator);
    return below(denominator) < numerator;
  }

  // Uniform in [0, 1) with 53 bits of precision.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4]{};
};

}  // namespace mesh::engine
