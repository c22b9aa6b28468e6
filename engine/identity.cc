#include "engine/identity.h"

#include <sodium.h>

#include <cctype>
#include <string>

#include "engine/assert.h"

namespace mesh::engine {

namespace {

std::string to_hex(const std::uint8_t* bytes, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.resize(size * 2);
  return out;
}

std::string_view trim_whitespace(std::string_view text) {
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Decodes exactly `size` bytes of hex into `out`; `what` names the value in messages.
Result<void, Error<KeyError>> decode_hex_exact(std::string_view text, std::uint8_t* out,
                                               std::size_t size, std::string_view what) {
  const std::string_view trimmed = trim_whitespace(text);
  if (trimmed.empty()) {
    return fail(KeyError::empty, std::string(what) + " is empty");
  }
  for (std::size_t index = 0; index < trimmed.size(); index++) {
    if (std::isxdigit(static_cast<unsigned char>(trimmed[index])) == 0) {
      return fail(KeyError::not_hex, std::string(what) + ": character '" +
                                         std::string(1, trimmed[index]) + "' at position " +
                                         std::to_string(index + 1) + " is not a hex digit");
    }
  }
  if (trimmed.size() != size * 2) {
    return fail(KeyError::wrong_length,
                std::string(what) + ": expected " + std::to_string(size * 2) + " hex characters (" +
                    std::to_string(size) + " bytes), found " + std::to_string(trimmed.size()));
  }
  std::size_t decoded_size = 0;
  const int rc =
      sodium_hex2bin(out, size, trimmed.data(), trimmed.size(), nullptr, &decoded_size, nullptr);
  MESH_ASSERT(rc == 0);
  MESH_ASSERT(decoded_size == size);
  return {};
}

}  // namespace

void crypto_init() {
  // sodium_init returns 1 when already initialized; only -1 is a failure.
  const int rc = sodium_init();
  MESH_ASSERT(rc >= 0);
}

std::string PublicKey::hex() const {
  return to_hex(bytes.data(), bytes.size());
}

std::string PublicKey::short_hex() const {
  return hex().substr(0, 8);
}

SecretSeed::SecretSeed(const std::array<std::uint8_t, secret_seed_size>& bytes) : bytes_(bytes) {}
SecretSeed::SecretSeed(const SecretSeed& other) = default;
SecretSeed& SecretSeed::operator=(const SecretSeed& other) = default;
SecretSeed::~SecretSeed() {
  sodium_memzero(bytes_.data(), bytes_.size());
}

std::string SecretSeed::hex() const {
  return to_hex(bytes_.data(), bytes_.size());
}

Result<SecretSeed, Error<KeyError>> parse_secret_seed_hex(std::string_view text) {
  std::array<std::uint8_t, secret_seed_size> bytes{};
  MESH_TRY_VOID(decode_hex_exact(text, bytes.data(), bytes.size(), "private key"));
  SecretSeed seed(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  return seed;
}

Result<PublicKey, Error<KeyError>> parse_public_key_hex(std::string_view text) {
  PublicKey key;
  MESH_TRY_VOID(decode_hex_exact(text, key.bytes.data(), key.bytes.size(), "public key"));
  return key;
}

Identity::Identity(const SecretSeed& seed) {
  crypto_init();
  const int rc =
      crypto_sign_seed_keypair(public_key_.bytes.data(), secret_key_.data(), seed.bytes().data());
  MESH_ASSERT(rc == 0);
}

Identity::Identity(const Identity& other) = default;
Identity& Identity::operator=(const Identity& other) = default;
Identity::~Identity() {
  sodium_memzero(secret_key_.data(), secret_key_.size());
}

Signature Identity::sign(ByteView message) const {
  Signature signature;
  unsigned long long signature_length = 0;
  const int rc = crypto_sign_detached(signature.bytes.data(), &signature_length, message.data(),
                                      message.size(), secret_key_.data());
  MESH_ASSERT(rc == 0);
  MESH_ASSERT(signature_length == signature_size);
  return signature;
}

std::array<std::uint8_t, 32> Identity::x25519_secret_key() const {
  std::array<std::uint8_t, 32> x25519{};
  const int rc = crypto_sign_ed25519_sk_to_curve25519(x25519.data(), secret_key_.data());
  MESH_ASSERT(rc == 0);
  return x25519;
}

bool verify(const PublicKey& public_key, ByteView message, const Signature& signature) {
  crypto_init();
  return crypto_sign_verify_detached(signature.bytes.data(), message.data(), message.size(),
                                     public_key.bytes.data()) == 0;
}

}  // namespace mesh::engine
