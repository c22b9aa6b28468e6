#include "kube_sim/prng.h"

#include "engine/assert.h"

namespace mesh::kube_sim {
namespace {

std::uint64_t rotate_left(std::uint64_t value, int shift) {
  return (value << shift) | (value >> (64 - shift));
}

std::uint64_t splitmix64(std::uint64_t& state) {
  state += 0x9E3779B97F4A7C15ULL;
  std::uint64_t mixed = state;
  mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9ULL;
  mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EBULL;
  return mixed ^ (mixed >> 31);
}

}  // namespace

Prng::Prng(std::uint64_t seed) : state_{} {
  std::uint64_t mixer = seed;
  for (std::uint64_t& word : state_) word = splitmix64(mixer);
  // splitmix64 never yields four zero words from one seed, but xoshiro would be stuck on them.
  MESH_ASSERT(state_[0] != 0 || state_[1] != 0 || state_[2] != 0 || state_[3] != 0);
}

std::uint64_t Prng::next() {
  const std::uint64_t result = rotate_left(state_[1] * 5, 7) * 9;
  const std::uint64_t shifted = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= shifted;
  state_[3] = rotate_left(state_[3], 45);
  return result;
}

std::uint64_t Prng::below(std::uint64_t bound) {
  MESH_ASSERT(bound > 0);
  // Values under `threshold` would make some residues more likely; draw again. Each draw is
  // rejected with probability < 1/2, so the loop bound is never reached in practice; past it
  // the slight bias is harmless and the result is still deterministic.
  constexpr int draws_max = 64;
  const std::uint64_t threshold = (0 - bound) % bound;
  std::uint64_t value = next();
  for (int draw = 1; draw < draws_max && value < threshold; draw++) value = next();
  const std::uint64_t result = value % bound;
  MESH_ASSERT(result < bound);
  return result;
}

}  // namespace mesh::kube_sim
