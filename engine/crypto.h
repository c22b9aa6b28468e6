// Small cryptographic helpers over libsodium: BLAKE2b-256 digests and a deterministic key
// stream.
//
// KeyStream turns a 32-byte secret seed into an endless ChaCha20 key stream. The driver seeds
// it from the OS CSPRNG in production and from the scenario seed in the simulator, so the
// engine gets cryptographic key material without reading a random device, and a simulated run
// replays bit for bit.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>

#include "engine/bytes.h"

namespace mesh::engine {

inline constexpr std::size_t digest_size = 32;

// BLAKE2b with a 256-bit output.
struct Digest {
  std::array<std::uint8_t, digest_size> bytes{};
  bool operator==(const Digest& other) const { return equal_bytes(bytes, other.bytes); }
  // The defaulted order, without memcmp calls (compare_bytes).
  std::strong_ordering operator<=>(const Digest& other) const {
    return compare_bytes(bytes, other.bytes);
  }
  std::string hex() const;
  std::string short_hex() const;  // first 8 hex characters, for traces
};

Digest blake2b_256(ByteView data);
// The digest of several parts, as if concatenated, without copying them together.
Digest blake2b_256(std::initializer_list<ByteView> parts);

class KeyStream {
 public:
  explicit KeyStream(const std::array<std::uint8_t, 32>& seed);
  ~KeyStream();
  KeyStream(const KeyStream&) = default;
  KeyStream& operator=(const KeyStream&) = default;

  // Fills 32 bytes of fresh key material.
  std::array<std::uint8_t, 32> next_key();

 private:
  std::array<std::uint8_t, 32> seed_{};
  std::uint64_t counter_ = 0;  // ChaCha20 nonce; never repeats for one seed
};

}  // namespace mesh::engine
