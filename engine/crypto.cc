#include "engine/crypto.h"

#include <sodium.h>

#include "engine/assert.h"
#include "engine/identity.h"

namespace mesh::engine {

namespace {

std::string to_hex(const std::uint8_t* bytes, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.resize(size * 2);
  return out;
}

}  // namespace

std::string Digest::hex() const {
  return to_hex(bytes.data(), bytes.size());
}
std::string Digest::short_hex() const {
  return to_hex(bytes.data(), 4);
}

Digest blake2b_256(ByteView data) {
  return blake2b_256({data});
}

Digest blake2b_256(std::initializer_list<ByteView> parts) {
  crypto_generichash_state state;
  const int rc_init = crypto_generichash_init(&state, nullptr, 0, digest_size);
  MESH_ASSERT(rc_init == 0);
  for (const ByteView part : parts) {
    const int rc = crypto_generichash_update(&state, part.data(), part.size());
    MESH_ASSERT(rc == 0);
  }
  Digest digest;
  const int rc_final = crypto_generichash_final(&state, digest.bytes.data(), digest_size);
  MESH_ASSERT(rc_final == 0);
  return digest;
}

KeyStream::KeyStream(const std::array<std::uint8_t, 32>& seed) : seed_(seed) {
  crypto_init();
}

KeyStream::~KeyStream() {
  sodium_memzero(seed_.data(), seed_.size());
}

std::array<std::uint8_t, 32> KeyStream::next_key() {
  static_assert(crypto_stream_chacha20_NONCEBYTES == 8);
  static_assert(crypto_stream_chacha20_KEYBYTES == 32);
  std::array<std::uint8_t, crypto_stream_chacha20_NONCEBYTES> nonce{};
  for (std::size_t index = 0; index < nonce.size(); index++) {
    nonce[index] = static_cast<std::uint8_t>(counter_ >> (8 * index));
  }
  counter_++;
  MESH_ASSERT(counter_ != 0);  // 2^64 keys per seed would take longer than any deployment
  std::array<std::uint8_t, 32> key{};
  const int rc = crypto_stream_chacha20(key.data(), key.size(), nonce.data(), seed_.data());
  MESH_ASSERT(rc == 0);
  return key;
}

}  // namespace mesh::engine
