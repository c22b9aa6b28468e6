// Deterministic identities for tests: the same index always gives the same key pair.
#pragma once

#include <array>
#include <cstdint>

#include "engine/identity.h"

namespace mesh::test {

inline engine::Identity test_identity(std::uint8_t index) {
  std::array<std::uint8_t, engine::secret_seed_size> bytes{};
  bytes.fill(static_cast<std::uint8_t>(0x40 + index));
  bytes[0] = index;
  return engine::Identity(engine::SecretSeed(bytes));
}

}  // namespace mesh::test
