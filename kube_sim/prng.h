// Prng: xoshiro256** (Blackman and Vigna), seeded through splitmix64, with our own range mapping.
//
// The server draws every "random" choice from one Prng seeded by Options::seed: uids,
// generateName suffixes and the dice of probabilistic faults. The same seed and the same calls
// give the same numbers on every machine; <random>'s distributions would not, because they
// differ between standard libraries. Not for cryptography.
#pragma once

#include <array>
#include <cstdint>

namespace mesh::kube_sim {

class Prng {
 public:
  explicit Prng(std::uint64_t seed);

  std::uint64_t next();
  // Uniform in [0, bound) by rejection sampling; bound must be positive.
  std::uint64_t below(std::uint64_t bound);

 private:
  std::array<std::uint64_t, 4> state_;
};

}  // namespace mesh::kube_sim
