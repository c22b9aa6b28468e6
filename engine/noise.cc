#include "engine/noise.h"

#include <sodium.h>

#include <algorithm>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>

#include "engine/assert.h"
#include "engine/identity.h"

namespace mesh::engine::noise {

// Noise §7.1: the tokens of a message pattern. PSK tokens are not supported.
enum class internal::Token : std::uint8_t { e, s, ee, es, se, ss };

namespace {

using internal::Token;

// The handshake patterns have at most three messages of at most four tokens (IK's first).
inline constexpr std::size_t pattern_messages_max = 3;
inline constexpr std::size_t message_tokens_max = 4;

struct MessagePattern {
  std::array<Token, message_tokens_max> tokens{};
  std::size_t token_count = 0;
};

struct PatternSpec {
  std::string_view name;
  // Noise §7.1 pre-message `<- s`: the initiator knows the responder's static key (IK).
  bool responder_static_premessage = false;
  bool initiator_static_required = false;
  bool responder_static_required = false;
  // Messages alternate initiator, responder, ...: index 0 is always the initiator's.
  std::array<MessagePattern, pattern_messages_max> messages{};
  std::size_t message_count = 0;
};

// Noise §7.4 (NN, XN, IK) and §7.5 (XX).
constexpr PatternSpec pattern_nn{
    .name = "NN",
    .messages = {{{{Token::e}, 1}, {{Token::e, Token::ee}, 2}}},
    .message_count = 2,
};
constexpr PatternSpec pattern_xn{
    .name = "XN",
    .initiator_static_required = true,
    .messages = {{{{Token::e}, 1}, {{Token::e, Token::ee}, 2}, {{Token::s, Token::se}, 2}}},
    .message_count = 3,
};
constexpr PatternSpec pattern_ik{
    .name = "IK",
    .responder_static_premessage = true,
    .initiator_static_required = true,
    .responder_static_required = true,
    .messages = {{{{Token::e, Token::es, Token::s, Token::ss}, 4},
                  {{Token::e, Token::ee, Token::se}, 3}}},
    .message_count = 2,
};
constexpr PatternSpec pattern_xx{
    .name = "XX",
    .initiator_static_required = true,
    .responder_static_required = true,
    .messages = {{{{Token::e}, 1},
                  {{Token::e, Token::ee, Token::s, Token::es}, 4},
                  {{Token::s, Token::se}, 2}}},
    .message_count = 3,
};

// Ties each table to the limits above and to the alternation that is_my_turn assumes.
constexpr bool is_well_formed(const PatternSpec& spec) {
  if (spec.message_count == 0 || spec.message_count > pattern_messages_max) return false;
  for (std::size_t index = 0; index < spec.message_count; index++) {
    const std::size_t count = spec.messages[index].token_count;
    if (count == 0 || count > message_tokens_max) return false;
  }
  // Every supported pattern opens with the initiator's `e`: no DH can precede it.
  return spec.messages[0].tokens[0] == Token::e;
}

static_assert(is_well_formed(pattern_nn));
static_assert(is_well_formed(pattern_xn));
static_assert(is_well_formed(pattern_ik));
static_assert(is_well_formed(pattern_xx));

const PatternSpec& pattern_spec(Pattern pattern) {
  switch (pattern) {
    case Pattern::nn: return pattern_nn;
    case Pattern::xn: return pattern_xn;
    case Pattern::ik: return pattern_ik;
    case Pattern::xx: return pattern_xx;
  }
  MESH_UNREACHABLE();
}

// HMAC (RFC 2104) uses the hash's block size: 128 bytes for BLAKE2b.
inline constexpr std::size_t blake2b_block_size = 128;

static_assert(crypto_generichash_BYTES_MAX >= hash_size);
static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == key_size);
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == tag_size);
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12);
static_assert(crypto_scalarmult_BYTES == dh_size);
static_assert(crypto_scalarmult_SCALARBYTES == dh_size);
static_assert(key_size <= hash_size, "MixKey and Split truncate HASHLEN outputs to the key");

// Noise §4.3 HASH: BLAKE2b with a 64-byte output and no key, over the concatenated parts.
Hash blake2b(std::initializer_list<ByteView> parts) {
  crypto_generichash_state state;
  int rc = crypto_generichash_init(&state, nullptr, 0, hash_size);
  MESH_ASSERT(rc == 0);
  for (const ByteView part : parts) {
    rc = crypto_generichash_update(&state, part.data(), part.size());
    MESH_ASSERT(rc == 0);
  }
  Hash digest{};
  rc = crypto_generichash_final(&state, digest.data(), digest.size());
  MESH_ASSERT(rc == 0);
  sodium_memzero(&state, sizeof(state));
  return digest;
}

// Noise §4.3 HMAC-HASH per RFC 2104, written here because libsodium offers HMAC only for
// SHA-2 (crypto_auth_hmacsha*), not for BLAKE2b. Its own keyed BLAKE2b is a different MAC and
// would not match the specification or the test vectors.
Hash hmac_blake2b(ByteView key, std::initializer_list<ByteView> parts) {
  // Noise keys the HMAC only with ck or a HKDF temp key (HASHLEN bytes), never with a key
  // longer than a block, so RFC 2104's "hash long keys first" step cannot apply.
  MESH_ASSERT(key.size() <= blake2b_block_size);
  std::array<std::uint8_t, blake2b_block_size> inner_pad{};
  std::array<std::uint8_t, blake2b_block_size> outer_pad{};
  std::copy(key.begin(), key.end(), inner_pad.begin());
  std::copy(key.begin(), key.end(), outer_pad.begin());
  for (std::size_t index = 0; index < blake2b_block_size; index++) {
    inner_pad[index] ^= 0x36;
    outer_pad[index] ^= 0x5c;
  }
  crypto_generichash_state state;
  int rc = crypto_generichash_init(&state, nullptr, 0, hash_size);
  MESH_ASSERT(rc == 0);
  rc = crypto_generichash_update(&state, inner_pad.data(), inner_pad.size());
  MESH_ASSERT(rc == 0);
  for (const ByteView part : parts) {
    rc = crypto_generichash_update(&state, part.data(), part.size());
    MESH_ASSERT(rc == 0);
  }
  Hash inner{};
  rc = crypto_generichash_final(&state, inner.data(), inner.size());
  MESH_ASSERT(rc == 0);
  const Hash mac = blake2b({outer_pad, inner});
  sodium_memzero(&state, sizeof(state));
  sodium_memzero(inner_pad.data(), inner_pad.size());
  sodium_memzero(outer_pad.data(), outer_pad.size());
  sodium_memzero(inner.data(), inner.size());
  return mac;
}

// Noise §4.3 HKDF(chaining_key, input_key_material, num_outputs) with 2 or 3 outputs; the
// third output (used only by MixKeyAndHash, for PSK patterns) is left zero when not asked for.
// The caller wipes the outputs.
std::array<Hash, 3> hkdf(const Hash& chaining_key, ByteView input_key_material,
                         std::size_t output_count) {
  MESH_ASSERT(output_count >= 2);
  MESH_ASSERT(output_count <= 3);
  Hash temp_key = hmac_blake2b(chaining_key, {input_key_material});
  const std::array<std::uint8_t, 1> byte_1{0x01};
  const std::array<std::uint8_t, 1> byte_2{0x02};
  const std::array<std::uint8_t, 1> byte_3{0x03};
  std::array<Hash, 3> outputs{};
  outputs[0] = hmac_blake2b(temp_key, {byte_1});
  outputs[1] = hmac_blake2b(temp_key, {outputs[0], byte_2});
  if (output_count == 3) outputs[2] = hmac_blake2b(temp_key, {outputs[1], byte_3});
  sodium_memzero(temp_key.data(), temp_key.size());
  return outputs;
}

// Noise §5.2: "If HASHLEN is 64, then truncates temp_k to 32 bytes."
Key truncate_to_key(const Hash& output) {
  Key key{};
  std::copy_n(output.begin(), key.size(), key.begin());
  return key;
}

void wipe(std::array<Hash, 3>& outputs) {
  for (Hash& output : outputs) sodium_memzero(output.data(), output.size());
}

using Nonce = std::array<std::uint8_t, crypto_aead_chacha20poly1305_ietf_NPUBBYTES>;
static_assert(crypto_aead_aes256gcm_NPUBBYTES == sizeof(Nonce));
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == tag_size);
static_assert(crypto_aead_aes256gcm_ABYTES == tag_size);

// Noise §12.3 ChaChaPoly: 32 bits of zeros followed by the little-endian 64-bit counter.
// Noise §12.4 AESGCM: 32 bits of zeros followed by the big-endian 64-bit counter.
Nonce cipher_nonce(Cipher cipher, std::uint64_t counter) {
  Nonce nonce{};
  for (std::size_t index = 0; index < 8; index++) {
    const std::size_t at = cipher == Cipher::chacha_poly ? 4 + index : 11 - index;
    nonce[at] = static_cast<std::uint8_t>(counter >> (8 * index));
  }
  return nonce;
}

// The expanded AES key that CipherState::SecretKey keeps as bytes (see noise.h). The cast is
// sound: an array of unsigned char provides storage and implicitly creates objects of
// implicit-lifetime types such as this C struct in it (C++20, [intro.object]/13, P0593).
const crypto_aead_aes256gcm_state* aes_gcm_state(const std::array<std::uint8_t, 512>& schedule) {
  return reinterpret_cast<const crypto_aead_aes256gcm_state*>(schedule.data());
}

// ChaCha20-Poly1305 (RFC 8439 §2.8) assembled from libsodium's ChaCha20 and Poly1305, for
// messages of at most small_message_size_max bytes. Written by hand because libsodium 1.0.18's
// ChaCha20 makes its keystream in whole SIMD runs (256 bytes in its SSSE3 code, 512 in its AVX2
// code) and every 64-byte block after the last whole run, the Poly1305 key's block included,
// one at a time at about three times the cost: its AEAD sealed 250 bytes in 1.0 us and 256
// bytes in 0.56 us, and a heartbeat's liveness message is about 250 bytes. Here the keystream,
// Poly1305 key first, always comes in whole 256-byte runs (250 bytes: 0.54 us). The bytes are
// the library AEAD's, checked against it by tests/engine/noise_test.cc; longer messages use the
// library's AEAD, which is as fast there.
constexpr std::size_t chacha_block_size = 64;
constexpr std::size_t chacha_run_size = 256;
constexpr std::size_t small_message_size_max = 511;
constexpr std::size_t small_keystream_size_max =
    (chacha_block_size + small_message_size_max + chacha_run_size - 1) / chacha_run_size *
    chacha_run_size;
using SmallKeystream = std::array<std::uint8_t, small_keystream_size_max>;
static_assert(small_keystream_size_max >= chacha_block_size + small_message_size_max);
static_assert(small_keystream_size_max % chacha_run_size == 0);

bool is_small_chacha_message(Cipher cipher, std::size_t message_size) {
  return cipher == Cipher::chacha_poly && message_size <= small_message_size_max;
}

// Block 0 of the keystream keys Poly1305; the message is xored from block 1 on.
std::size_t small_keystream_size(std::size_t message_size) {
  MESH_ASSERT(message_size <= small_message_size_max);
  const std::size_t size = (chacha_block_size + message_size + chacha_run_size - 1) /
                           chacha_run_size * chacha_run_size;
  MESH_ASSERT(size >= chacha_block_size + message_size);
  MESH_ASSERT(size <= small_keystream_size_max);
  return size;
}

// RFC 8439 §2.8: Poly1305 over the AD, the ciphertext (each zero-padded to 16 bytes) and both
// lengths as little-endian 64-bit numbers. Assembled in one buffer for libsodium's one-shot
// Poly1305: its streaming init prepares the powers of r for long inputs whatever follows, and
// each update call has its own overhead, so the streaming form cost about 2,200 instructions
// per tag of a heartbeat-sized message against 800 for the one-shot call. The AD is the Noise
// handshake hash or empty; a longer one takes the streaming form.
constexpr std::size_t poly1305_ad_size_max = hash_size;
constexpr std::size_t poly1305_input_size_max =
    (poly1305_ad_size_max + 15) / 16 * 16 + (small_message_size_max + 15) / 16 * 16 + 16;

std::size_t padded_16(std::size_t size) { return (size + 15) / 16 * 16; }

void poly1305_tag(std::span<const std::uint8_t, crypto_onetimeauth_poly1305_KEYBYTES> poly_key,
                  ByteView ad, ByteView ciphertext, std::span<std::uint8_t, tag_size> tag) {
  static_assert(crypto_onetimeauth_poly1305_BYTES == tag_size);
  MESH_ASSERT(ciphertext.size() <= small_message_size_max);
  std::array<std::uint8_t, 16> lengths{};
  for (std::size_t index = 0; index < 8; index++) {
    lengths[index] = static_cast<std::uint8_t>(std::uint64_t{ad.size()} >> (8 * index));
    lengths[8 + index] = static_cast<std::uint8_t>(std::uint64_t{ciphertext.size()} >> (8 * index));
  }
  int rc = 0;
  if (ad.size() <= poly1305_ad_size_max) {
    // Left uninitialized but for the padding: zeroing all 640 bytes per message was a visible
    // share of an idle node's time.
    std::array<std::uint8_t, poly1305_input_size_max> input;
    const std::size_t text_at = padded_16(ad.size());
    const std::size_t lengths_at = text_at + padded_16(ciphertext.size());
    MESH_ASSERT(lengths_at + lengths.size() <= input.size());
    const auto at = [&](std::size_t index) {
      return input.begin() + static_cast<std::ptrdiff_t>(index);
    };
    std::copy(ad.begin(), ad.end(), input.begin());
    std::fill(at(ad.size()), at(text_at), std::uint8_t{0});
    std::copy(ciphertext.begin(), ciphertext.end(), at(text_at));
    std::fill(at(text_at + ciphertext.size()), at(lengths_at), std::uint8_t{0});
    std::copy(lengths.begin(), lengths.end(), at(lengths_at));
    rc = crypto_onetimeauth_poly1305(tag.data(), input.data(), lengths_at + lengths.size(),
                                     poly_key.data());
    // The ciphertext is public; the AD is the handshake hash, also known to an observer who
    // could compute it. Nothing secret to wipe.
  } else {
    static constexpr std::array<std::uint8_t, 16> zeros{};
    crypto_onetimeauth_poly1305_state state;
    rc = crypto_onetimeauth_poly1305_init(&state, poly_key.data());
    rc |= crypto_onetimeauth_poly1305_update(&state, ad.data(), ad.size());
    rc |= crypto_onetimeauth_poly1305_update(&state, zeros.data(),
                                             padded_16(ad.size()) - ad.size());
    rc |= crypto_onetimeauth_poly1305_update(&state, ciphertext.data(), ciphertext.size());
    rc |= crypto_onetimeauth_poly1305_update(&state, zeros.data(),
                                             padded_16(ciphertext.size()) - ciphertext.size());
    rc |= crypto_onetimeauth_poly1305_update(&state, lengths.data(), lengths.size());
    rc |= crypto_onetimeauth_poly1305_final(&state, tag.data());
    sodium_memzero(&state, sizeof(state));
  }
  MESH_ASSERT(rc == 0);
}

// The keystream for a message of `message_size` bytes; the caller wipes it.
std::size_t small_keystream(const Key& key, const Nonce& nonce, std::size_t message_size,
                            SmallKeystream& keystream) {
  const std::size_t size = small_keystream_size(message_size);
  const int rc = crypto_stream_chacha20_ietf(keystream.data(), size, nonce.data(), key.data());
  MESH_ASSERT(rc == 0);
  return size;
}

// Seals `plaintext` into `out`: the ciphertext, then the tag.
void small_chacha_seal(const Key& key, const Nonce& nonce, ByteView ad, ByteView plaintext,
                       std::span<std::uint8_t> out) {
  MESH_ASSERT(out.size() == plaintext.size() + tag_size);
  SmallKeystream keystream;
  const std::size_t keystream_size = small_keystream(key, nonce, plaintext.size(), keystream);
  MESH_ASSERT(chacha_block_size + plaintext.size() <= keystream_size);
  for (std::size_t index = 0; index < plaintext.size(); index++) {
    out[index] = plaintext[index] ^ keystream[chacha_block_size + index];
  }
  poly1305_tag(std::span(keystream).first<crypto_onetimeauth_poly1305_KEYBYTES>(), ad,
               out.first(plaintext.size()), out.last<tag_size>());
  sodium_memzero(keystream.data(), keystream_size);
}

// Opens `ciphertext` (with its tag) into `out`; false, with `out` untouched, on a bad tag.
bool small_chacha_open(const Key& key, const Nonce& nonce, ByteView ad, ByteView ciphertext,
                       std::span<std::uint8_t> out) {
  MESH_ASSERT(ciphertext.size() >= tag_size);
  const ByteView sealed = ciphertext.first(ciphertext.size() - tag_size);
  MESH_ASSERT(out.size() == sealed.size());
  SmallKeystream keystream;
  const std::size_t keystream_size = small_keystream(key, nonce, sealed.size(), keystream);
  MESH_ASSERT(chacha_block_size + sealed.size() <= keystream_size);
  // A tag computed for a forgery would be a valid tag for that forgery: wiped with the rest.
  std::array<std::uint8_t, tag_size> expected{};
  poly1305_tag(std::span(keystream).first<crypto_onetimeauth_poly1305_KEYBYTES>(), ad, sealed,
               expected);
  const bool authentic = crypto_verify_16(expected.data(), ciphertext.last<tag_size>().data()) == 0;
  if (authentic) {
    for (std::size_t index = 0; index < sealed.size(); index++) {
      out[index] = sealed[index] ^ keystream[chacha_block_size + index];
    }
  }
  sodium_memzero(expected.data(), expected.size());
  sodium_memzero(keystream.data(), keystream_size);
  return authentic;
}

// True when `view` points into the storage of `buffer`: appending to `buffer` may reallocate
// and leave `view` dangling, so callers must not pass a view of their output buffer.
bool overlaps(ByteView view, const Bytes& buffer) {
  if (view.empty() || buffer.capacity() == 0) return false;
  const std::less<const std::uint8_t*> less;
  const std::uint8_t* const begin = buffer.data();
  const std::uint8_t* const end = buffer.data() + buffer.capacity();
  return less(view.data(), end) && less(begin, view.data() + view.size());
}

// The nonce value 2^64-1 is reserved (Noise §5.1) for rekeying schemes; it is never used.
inline constexpr std::uint64_t nonce_reserved = std::numeric_limits<std::uint64_t>::max();

using SharedSecret = std::array<std::uint8_t, dh_size>;

// Noise §4.1 DH with X25519 (§12.1). An all-zero output means the peer sent a low-order point,
// so the "shared" secret is public. §12.1 allows signalling an error for it (while calling the
// check optional); we reject it so a peer cannot steer a handshake into a known key. Writes into
// `shared` rather than returning it, so no copy of the secret outlives the caller's wipe.
Result<void, NoiseFailure> dh(const KeyPair& local, const PublicKey& remote, SharedSecret& shared) {
  MESH_ASSERT(!local.empty());
  const int rc = crypto_scalarmult(shared.data(), local.secret().data(), remote.data());
  if (rc != 0 || sodium_is_zero(shared.data(), shared.size()) == 1) {
    sodium_memzero(shared.data(), shared.size());
    return fail(NoiseError::invalid_public_key, "noise: DH with a low-order public key");
  }
  return {};
}

}  // namespace

KeyPair keypair_from_secret(const std::array<std::uint8_t, dh_size>& secret) {
  crypto_init();
  KeyPair keypair;
  keypair.secret_ = secret;
  const int rc = crypto_scalarmult_base(keypair.public_key_.data(), keypair.secret_.data());
  MESH_ASSERT(rc == 0);
  MESH_ASSERT(!keypair.empty());
  return keypair;
}

bool KeyPair::empty() const {
  return sodium_is_zero(public_key_.data(), public_key_.size()) == 1;
}

void KeyPair::wipe() {
  sodium_memzero(secret_.data(), secret_.size());
  sodium_memzero(public_key_.data(), public_key_.size());
  MESH_ASSERT(empty());
}

namespace {

// Each cipher's names: in the Noise protocol name, and in configuration files.
struct CipherNames {
  Cipher cipher;
  std::string_view noise;
  std::string_view config;
};
constexpr std::array<CipherNames, 2> cipher_names = {{
    {Cipher::chacha_poly, "ChaChaPoly", "chachapoly"},
    {Cipher::aes_gcm, "AESGCM", "aesgcm"},
}};

const CipherNames& names_of(Cipher cipher) {
  for (const CipherNames& names : cipher_names) {
    if (names.cipher == cipher) return names;
  }
  MESH_UNREACHABLE();
}

}  // namespace

std::string_view cipher_name(Cipher cipher) {
  return names_of(cipher).noise;
}

std::string_view cipher_config_name(Cipher cipher) {
  return names_of(cipher).config;
}

std::optional<Cipher> cipher_from_config_name(std::string_view name) {
  for (const CipherNames& names : cipher_names) {
    if (name == names.config) return names.cipher;
  }
  return std::nullopt;
}

bool cipher_available(Cipher cipher) {
  crypto_init();  // libsodium's CPU feature detection runs in sodium_init
  if (cipher == Cipher::chacha_poly) return true;
  MESH_ASSERT(cipher == Cipher::aes_gcm);
  return crypto_aead_aes256gcm_is_available() == 1;
}

// ---- CipherState (Noise §5.1) ----

CipherState::CipherState(Cipher cipher) : cipher_(cipher) {
  MESH_ASSERT(cipher_available(cipher));
  MESH_ASSERT(!has_key());
}

CipherState::SecretKey::SecretKey(Cipher cipher, const Key& key) : bytes(key) {
  static_assert(sizeof(crypto_aead_aes256gcm_state) == sizeof(aes_gcm_schedule));
  static_assert(alignof(crypto_aead_aes256gcm_state) <= alignof(SecretKey));
  if (cipher != Cipher::aes_gcm) return;
  auto* const schedule = reinterpret_cast<crypto_aead_aes256gcm_state*>(aes_gcm_schedule.data());
  const int rc = crypto_aead_aes256gcm_beforenm(schedule, bytes.data());
  MESH_ASSERT(rc == 0);
}

CipherState::SecretKey::~SecretKey() {
  sodium_memzero(bytes.data(), bytes.size());
  sodium_memzero(aes_gcm_schedule.data(), aes_gcm_schedule.size());
}

void CipherState::initialize_key(const std::optional<Key>& key) {
  key_.reset();
  if (key.has_value()) key_.emplace(cipher_, *key);
  nonce_ = 0;
  MESH_ASSERT(has_key() == key.has_value());
}

Result<void, NoiseFailure> CipherState::encrypt_with_ad(ByteView ad, ByteView plaintext,
                                                        Bytes& out) {
  MESH_ASSERT(!overlaps(plaintext, out));
  MESH_ASSERT(!overlaps(ad, out));
  if (!key_.has_value()) {
    if (plaintext.size() > message_size_max) {
      return fail(NoiseError::message_too_large, "noise: plaintext over 65535 bytes");
    }
    out.insert(out.end(), plaintext.begin(), plaintext.end());
    return {};
  }
  if (nonce_ == nonce_reserved) {
    return fail(NoiseError::nonce_exhausted, "noise: encrypt: nonce 2^64-1 is reserved");
  }
  if (plaintext.size() > message_size_max - tag_size) {
    return fail(NoiseError::message_too_large, "noise: ciphertext would exceed 65535 bytes");
  }
  const std::size_t out_size = out.size();
  out.resize(out_size + plaintext.size() + tag_size);
  const Nonce nonce = cipher_nonce(cipher_, nonce_);
  if (is_small_chacha_message(cipher_, plaintext.size())) {
    small_chacha_seal(key_->bytes, nonce, ad, plaintext, std::span(out).subspan(out_size));
    nonce_++;
    return {};
  }
  unsigned long long ciphertext_size = 0;
  const int rc =
      cipher_ == Cipher::chacha_poly
          ? crypto_aead_chacha20poly1305_ietf_encrypt(
                out.data() + out_size, &ciphertext_size, plaintext.data(), plaintext.size(),
                ad.data(), ad.size(), nullptr, nonce.data(), key_->bytes.data())
          : crypto_aead_aes256gcm_encrypt_afternm(
                out.data() + out_size, &ciphertext_size, plaintext.data(), plaintext.size(),
                ad.data(), ad.size(), nullptr, nonce.data(), aes_gcm_state(key_->aes_gcm_schedule));
  MESH_ASSERT(rc == 0);
  MESH_ASSERT(ciphertext_size == plaintext.size() + tag_size);
  nonce_++;
  return {};
}

Result<void, NoiseFailure> CipherState::decrypt_with_ad(ByteView ad, ByteView ciphertext,
                                                        Bytes& out) {
  MESH_ASSERT(!overlaps(ciphertext, out));
  MESH_ASSERT(!overlaps(ad, out));
  if (ciphertext.size() > message_size_max) {
    return fail(NoiseError::message_too_large, "noise: ciphertext over 65535 bytes");
  }
  if (!key_.has_value()) {
    out.insert(out.end(), ciphertext.begin(), ciphertext.end());
    return {};
  }
  if (nonce_ == nonce_reserved) {
    return fail(NoiseError::nonce_exhausted, "noise: decrypt: nonce 2^64-1 is reserved");
  }
  if (ciphertext.size() < tag_size) {
    return fail(NoiseError::message_too_short, "noise: ciphertext shorter than its 16-byte tag");
  }
  const std::size_t out_size = out.size();
  out.resize(out_size + ciphertext.size() - tag_size);
  const Nonce nonce = cipher_nonce(cipher_, nonce_);
  unsigned long long plaintext_size = 0;
  int rc = -1;
  if (is_small_chacha_message(cipher_, ciphertext.size() - tag_size)) {
    if (small_chacha_open(key_->bytes, nonce, ad, ciphertext, std::span(out).subspan(out_size))) {
      rc = 0;
      plaintext_size = ciphertext.size() - tag_size;
    }
  } else if (cipher_ == Cipher::chacha_poly) {
    rc = crypto_aead_chacha20poly1305_ietf_decrypt(
        out.data() + out_size, &plaintext_size, nullptr, ciphertext.data(), ciphertext.size(),
        ad.data(), ad.size(), nonce.data(), key_->bytes.data());
  } else {
    rc = crypto_aead_aes256gcm_decrypt_afternm(
        out.data() + out_size, &plaintext_size, nullptr, ciphertext.data(), ciphertext.size(),
        ad.data(), ad.size(), nonce.data(), aes_gcm_state(key_->aes_gcm_schedule));
  }
  if (rc != 0) {
    // Noise §5.1: a failed decryption does not consume the nonce, so the genuine message can
    // still be read after a forged one was dropped.
    sodium_memzero(out.data() + out_size, out.size() - out_size);
    out.resize(out_size);
    return fail(NoiseError::decrypt_failed, "noise: authentication tag mismatch");
  }
  MESH_ASSERT(plaintext_size == ciphertext.size() - tag_size);
  nonce_++;
  return {};
}

// ---- SymmetricState (Noise §5.2) ----

HandshakeState::SymmetricState::~SymmetricState() {
  sodium_memzero(chaining_key.data(), chaining_key.size());
}

void HandshakeState::SymmetricState::initialize(ByteView protocol_name,
                                                Cipher cipher_functions) {
  cipher = CipherState(cipher_functions);
  // A name of at most HASHLEN bytes is zero-padded to HASHLEN, a longer one is hashed.
  if (protocol_name.size() <= hash_size) {
    hash.fill(0);
    std::copy(protocol_name.begin(), protocol_name.end(), hash.begin());
  } else {
    hash = blake2b({protocol_name});
  }
  chaining_key = hash;
  cipher.initialize_key(std::nullopt);
  MESH_ASSERT(!cipher.has_key());
}

void HandshakeState::SymmetricState::mix_key(ByteView input_key_material) {
  std::array<Hash, 3> outputs = hkdf(chaining_key, input_key_material, 2);
  chaining_key = outputs[0];
  // Held as an optional so initialize_key reads it in place, not via an unwiped temporary.
  std::optional<Key> temp_key = truncate_to_key(outputs[1]);
  cipher.initialize_key(temp_key);
  sodium_memzero(temp_key->data(), temp_key->size());
  wipe(outputs);
  MESH_ASSERT(cipher.has_key());
  MESH_ASSERT(cipher.nonce() == 0);
}

void HandshakeState::SymmetricState::mix_hash(ByteView data) {
  hash = blake2b({hash, data});
}

Result<void, NoiseFailure> HandshakeState::SymmetricState::encrypt_and_hash(ByteView plaintext,
                                                                            Bytes& out) {
  const std::size_t out_size = out.size();
  MESH_TRY_VOID(cipher.encrypt_with_ad(hash, plaintext, out));
  mix_hash(ByteView(out).subspan(out_size));
  return {};
}

Result<void, NoiseFailure> HandshakeState::SymmetricState::decrypt_and_hash(ByteView ciphertext,
                                                                            Bytes& out) {
  MESH_TRY_VOID(cipher.decrypt_with_ad(hash, ciphertext, out));
  mix_hash(ciphertext);
  return {};
}

std::pair<CipherState, CipherState> HandshakeState::SymmetricState::split() const {
  std::array<Hash, 3> outputs = hkdf(chaining_key, {}, 2);
  std::optional<Key> initiator_key = truncate_to_key(outputs[0]);
  std::optional<Key> responder_key = truncate_to_key(outputs[1]);
  std::pair<CipherState, CipherState> ciphers{CipherState(cipher.cipher()),
                                              CipherState(cipher.cipher())};
  ciphers.first.initialize_key(initiator_key);
  ciphers.second.initialize_key(responder_key);
  sodium_memzero(initiator_key->data(), initiator_key->size());
  sodium_memzero(responder_key->data(), responder_key->size());
  wipe(outputs);
  MESH_ASSERT(ciphers.first.has_key());
  MESH_ASSERT(ciphers.second.has_key());
  return ciphers;
}

// ---- HandshakeState (Noise §5.3) ----

HandshakeState::State::~State() {
  if (s.has_value()) s->wipe();
  e.wipe();
}

HandshakeState::HandshakeState(const HandshakeOptions& options) {
  crypto_init();
  const PatternSpec& spec = pattern_spec(options.pattern);
  const bool initiator = options.role == Role::initiator;
  const bool static_required =
      initiator ? spec.initiator_static_required : spec.responder_static_required;
  // The key pairs come from our own configuration: a missing or empty one is a bug. A KeyPair
  // that is not empty is consistent by construction (keypair_from_secret).
  if (static_required) {
    MESH_ASSERT(options.static_keypair.has_value());
    MESH_ASSERT(!options.static_keypair->empty());
  }
  MESH_ASSERT(!options.ephemeral_keypair.empty());
  // Only IK's initiator knows rs before the handshake; anywhere else it would be overwritten by
  // the key the peer sends, so passing one is a misunderstanding of the pattern.
  const bool remote_static_premessage = initiator && spec.responder_static_premessage;
  MESH_ASSERT(options.remote_static.has_value() == remote_static_premessage);

  state_.pattern = options.pattern;
  state_.role = options.role;
  state_.s = options.static_keypair;
  state_.e = options.ephemeral_keypair;
  state_.rs = options.remote_static;
  const std::string protocol_name = "Noise_" + std::string(spec.name) + "_25519_" +
                                    std::string(cipher_name(options.cipher)) + "_BLAKE2b";
  state_.symmetric.initialize(as_bytes(protocol_name), options.cipher);
  state_.symmetric.mix_hash(options.prologue);
  // Noise §5.3 Initialize: pre-message public keys are hashed in pattern order, by both sides.
  if (spec.responder_static_premessage) {
    state_.symmetric.mix_hash(initiator ? *state_.rs : state_.s->public_key());
  }
  MESH_ASSERT(state_.message_index == 0);
  MESH_ASSERT(is_my_turn() == initiator);
}

Result<void, NoiseFailure> HandshakeState::write_message(ByteView payload, Bytes& out) {
  if (is_complete()) {
    return fail(NoiseError::handshake_complete, "noise: write after the last handshake message");
  }
  if (!is_my_turn()) {
    return fail(NoiseError::wrong_turn, "noise: write while the peer's message is due");
  }
  if (payload.size() > message_size_max) {
    return fail(NoiseError::message_too_large, "noise: handshake payload over 65535 bytes");
  }
  const MessagePattern& pattern = pattern_spec(state_.pattern).messages[state_.message_index];
  State next = state_;
  Bytes message;
  message.reserve(pattern.token_count * (dh_size + tag_size) + payload.size() + tag_size);
  for (std::size_t index = 0; index < pattern.token_count; index++) {
    MESH_TRY_VOID(write_token(next, pattern.tokens[index], message));
  }
  MESH_TRY_VOID(next.symmetric.encrypt_and_hash(payload, message));
  if (message.size() > message_size_max) {
    return fail(NoiseError::message_too_large, "noise: handshake message over 65535 bytes");
  }
  next.message_index++;
  state_ = next;
  out.insert(out.end(), message.begin(), message.end());
  MESH_ASSERT(!is_my_turn());
  return {};
}

Result<void, NoiseFailure> HandshakeState::read_message(ByteView message, Bytes& payload_out) {
  if (is_complete()) {
    return fail(NoiseError::handshake_complete, "noise: read after the last handshake message");
  }
  if (is_my_turn()) {
    return fail(NoiseError::wrong_turn, "noise: read while our own message is due");
  }
  if (message.size() > message_size_max) {
    return fail(NoiseError::message_too_large, "noise: handshake message over 65535 bytes");
  }
  const MessagePattern& pattern = pattern_spec(state_.pattern).messages[state_.message_index];
  State next = state_;
  ByteView remaining = message;
  for (std::size_t index = 0; index < pattern.token_count; index++) {
    MESH_TRY_VOID(read_token(next, pattern.tokens[index], remaining));
  }
  // Whatever follows the tokens is the payload (Noise §5.3 ReadMessage), authenticated by its
  // tag once a key exists; decrypt_and_hash is the last step that can fail, so `payload_out`
  // is only touched when the whole message is accepted.
  MESH_TRY_VOID(next.symmetric.decrypt_and_hash(remaining, payload_out));
  next.message_index++;
  state_ = next;
  MESH_ASSERT(is_my_turn() || is_complete());
  return {};
}

Result<void, NoiseFailure> HandshakeState::write_token(State& state, Token token, Bytes& message) {
  switch (token) {
    case Token::e:
      // The ephemeral key was injected at construction (see the header); Noise §5.3 would
      // generate it here.
      message.insert(message.end(), state.e.public_key().begin(), state.e.public_key().end());
      state.symmetric.mix_hash(state.e.public_key());
      return {};
    case Token::s:
      MESH_ASSERT(state.s.has_value());
      return state.symmetric.encrypt_and_hash(state.s->public_key(), message);
    case Token::ee:
    case Token::es:
    case Token::se:
    case Token::ss: return mix_dh(state, token);
  }
  MESH_UNREACHABLE();
}

Result<void, NoiseFailure> HandshakeState::read_token(State& state, Token token,
                                                      ByteView& message) {
  switch (token) {
    case Token::e: {
      if (message.size() < dh_size) {
        return fail(NoiseError::message_too_short, "noise: message ends inside token e");
      }
      PublicKey remote{};
      std::copy_n(message.begin(), dh_size, remote.begin());
      state.re = remote;
      state.symmetric.mix_hash(remote);
      message = message.subspan(dh_size);
      return {};
    }
    case Token::s: {
      // The static key is encrypted once a key was mixed in, and then carries a tag.
      const std::size_t size = dh_size + (state.symmetric.cipher.has_key() ? tag_size : 0);
      if (message.size() < size) {
        return fail(NoiseError::message_too_short, "noise: message ends inside token s");
      }
      Bytes plaintext;
      MESH_TRY_VOID(state.symmetric.decrypt_and_hash(message.first(size), plaintext));
      MESH_ASSERT(plaintext.size() == dh_size);
      PublicKey remote{};
      std::copy_n(plaintext.begin(), dh_size, remote.begin());
      state.rs = remote;
      message = message.subspan(size);
      return {};
    }
    case Token::ee:
    case Token::es:
    case Token::se:
    case Token::ss: return mix_dh(state, token);
  }
  MESH_UNREACHABLE();
}

// Noise §5.3: ee, es, se and ss name (initiator key, responder key); each side uses its own
// secret half and the peer's public half, so the same token reads differently per role.
Result<void, NoiseFailure> HandshakeState::mix_dh(State& state, Token token) {
  const bool initiator = state.role == Role::initiator;
  MESH_ASSERT(token != Token::e);
  MESH_ASSERT(token != Token::s);
  const bool initiator_ephemeral = token == Token::ee || token == Token::es;
  const bool responder_ephemeral = token == Token::ee || token == Token::se;
  const bool local_ephemeral = initiator ? initiator_ephemeral : responder_ephemeral;
  const bool remote_ephemeral = initiator ? responder_ephemeral : initiator_ephemeral;
  // The pattern guarantees the keys exist: remote keys are read by an earlier token, local
  // static keys are checked by the constructor.
  MESH_ASSERT(local_ephemeral || state.s.has_value());
  const KeyPair& local = local_ephemeral ? state.e : *state.s;
  const std::optional<PublicKey>& remote = remote_ephemeral ? state.re : state.rs;
  MESH_ASSERT(remote.has_value());
  SharedSecret shared{};
  MESH_TRY_VOID(dh(local, *remote, shared));
  state.symmetric.mix_key(shared);
  sodium_memzero(shared.data(), shared.size());
  return {};
}

bool HandshakeState::is_complete() const {
  return state_.message_index == pattern_spec(state_.pattern).message_count;
}

bool HandshakeState::is_my_turn() const {
  if (is_complete()) return false;
  const bool initiator_turn = state_.message_index % 2 == 0;
  return initiator_turn == (state_.role == Role::initiator);
}

const std::optional<PublicKey>& HandshakeState::remote_static() const {
  return state_.rs;
}

const Hash& HandshakeState::handshake_hash() const {
  return state_.symmetric.hash;
}

std::pair<CipherState, CipherState> HandshakeState::split() const {
  // Noise §5.3: Split happens after the last message; earlier keys would not authenticate the
  // whole transcript.
  MESH_ASSERT(is_complete());
  return state_.symmetric.split();
}

}  // namespace mesh::engine::noise
