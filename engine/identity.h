// Ed25519 identity of a controller: secret seed, public key, signing and verification.
//
// The key file format is the seed project's: the hex of the 32-byte Ed25519 secret seed (what
// `openssl genpkey -algorithm ed25519 -outform der | xxd -plain -cols 32 -s -32` prints), so
// the public key we derive equals the one `openssl pkey -pubout` derives. Parsing is pure; the
// file itself is read by the driver. Secret bytes are wiped when an Identity is destroyed.
//
//   MESH_TRY(const SecretSeed seed, parse_secret_seed_hex(file_text));
//   const Identity identity(seed);
//   const Signature signature = identity.sign(message);
//   MESH_ASSERT(verify(identity.public_key(), message, signature));
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/bytes.h"
#include "engine/result.h"

namespace mesh::engine {

inline constexpr std::size_t public_key_size = 32;
inline constexpr std::size_t secret_seed_size = 32;
inline constexpr std::size_t signature_size = 64;

struct PublicKey {
  std::array<std::uint8_t, public_key_size> bytes{};

  bool operator==(const PublicKey& other) const { return equal_bytes(bytes, other.bytes); }
  // The defaulted order, without memcmp calls (compare_bytes).
  std::strong_ordering operator<=>(const PublicKey& other) const {
    return compare_bytes(bytes, other.bytes);
  }
  // Lowercase hex, 64 characters: the MeshPeer object name and the config format.
  std::string hex() const;
  // The first 8 hex characters, for logs and traces.
  std::string short_hex() const;
};

struct Signature {
  std::array<std::uint8_t, signature_size> bytes{};
  auto operator<=>(const Signature&) const = default;
};

// The 32-byte Ed25519 secret seed. Wiped on destruction.
class SecretSeed {
 public:
  explicit SecretSeed(const std::array<std::uint8_t, secret_seed_size>& bytes);
  SecretSeed(const SecretSeed& other);
  SecretSeed& operator=(const SecretSeed& other);
  ~SecretSeed();

  const std::array<std::uint8_t, secret_seed_size>& bytes() const { return bytes_; }
  std::string hex() const;

 private:
  std::array<std::uint8_t, secret_seed_size> bytes_{};
};

enum class KeyError {
  empty,         // nothing but whitespace
  wrong_length,  // not 64 hex characters
  not_hex,       // a character outside [0-9a-fA-F]
};

// Parses the hex secret seed of a key file or of $PRIVATE_KEY. Leading and trailing whitespace
// (a trailing newline from `xxd` or an editor) is ignored; anything else must be exactly 64 hex
// digits. The message names the length found or the offending character and its position.
Result<SecretSeed, Error<KeyError>> parse_secret_seed_hex(std::string_view text);

// Parses a 64-character hex public key (config `nodes[].public_key`, MeshPeer names).
Result<PublicKey, Error<KeyError>> parse_public_key_hex(std::string_view text);

// An Ed25519 key pair derived from a secret seed.
class Identity {
 public:
  explicit Identity(const SecretSeed& seed);
  Identity(const Identity& other);
  Identity& operator=(const Identity& other);
  ~Identity();

  const PublicKey& public_key() const { return public_key_; }
  Signature sign(ByteView message) const;
  // The X25519 secret key that corresponds to this Ed25519 key (RFC 7748 via libsodium).
  std::array<std::uint8_t, 32> x25519_secret_key() const;

 private:
  PublicKey public_key_;
  // libsodium's 64-byte secret key: seed || public key.
  std::array<std::uint8_t, 64> secret_key_{};
};

// True when `signature` is a valid Ed25519 signature of `message` by `public_key`. A pure
// function of its arguments.
bool verify(const PublicKey& public_key, ByteView message, const Signature& signature);

// Initializes libsodium (idempotent). Every entry point that uses crypto calls it; a failure
// means the library cannot work at all, which is a programmer/platform error.
void crypto_init();

}  // namespace mesh::engine
