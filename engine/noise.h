// The Noise Protocol Framework (revision 34), suites 25519_ChaChaPoly_BLAKE2b (the default)
// and 25519_AESGCM_BLAKE2b, on libsodium.
//
// Implements CipherState, SymmetricState and HandshakeState of the specification
// (https://noiseprotocol.org/noise.html §5) for the handshake patterns NN, XN, IK and XX. The
// session (engine/session.h) uses XX; the other patterns exist so the implementation is
// checked against every published test vector of the ChaChaPoly suite
// (tests/engine/testdata/noise-vectors-25519-chachapoly-blake2b.json). AESGCM differs only in
// the cipher functions (§12.4), which are checked against the GCM specification's own vectors.
//
// Pure computation: ephemeral keys are injected by the caller (the node derives them from its
// seeded CSPRNG stream), so a handshake is a deterministic function of its inputs.
//
//   HandshakeState initiator({.pattern = Pattern::xx, .role = Role::initiator,
//                             .prologue = prologue, .static_keypair = mine,
//                             .ephemeral_keypair = keypair_from_secret(secret)});
//   Bytes message;
//   MESH_TRY_VOID(initiator.write_message(payload, message));
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "engine/bytes.h"
#include "engine/result.h"

namespace mesh::engine::noise {

inline constexpr std::size_t dh_size = 32;
inline constexpr std::size_t hash_size = 64;  // BLAKE2b
inline constexpr std::size_t key_size = 32;
inline constexpr std::size_t tag_size = 16;
// Noise §3: every handshake and transport message is at most 65535 bytes.
inline constexpr std::size_t message_size_max = 65535;

enum class NoiseError {
  decrypt_failed,      // authentication tag mismatch: tampered, replayed or wrong key
  message_too_short,   // fewer bytes than the pattern's tokens need
  message_too_large,   // over message_size_max
  nonce_exhausted,     // 2^64-1 messages on one CipherState
  wrong_turn,          // write when it is the peer's turn, or read when it is ours
  handshake_complete,  // handshake message after the last pattern message
  invalid_public_key,  // DH with a low-order point produced all zeros
};

using NoiseFailure = Error<NoiseError>;

// The cipher functions of the suite (Noise §12.3, §12.4). ChaChaPoly runs on every CPU.
// AESGCM is three to four times cheaper per small message on x86-64 with AES-NI, but
// libsodium 1.0.18 implements it only there (cipher_available says whether this CPU can).
enum class Cipher : std::uint8_t { chacha_poly, aes_gcm };

// The cipher's name in a Noise protocol name: "ChaChaPoly" or "AESGCM".
std::string_view cipher_name(Cipher cipher);
// The spelling of configuration files (mesh.cipher, a scenario's engine.cipher): "chachapoly"
// or "aesgcm"; nullopt for anything else.
std::string_view cipher_config_name(Cipher cipher);
std::optional<Cipher> cipher_from_config_name(std::string_view name);
// False for AESGCM on a CPU without AES-NI and PCLMUL: a CipherState must not use it there.
bool cipher_available(Cipher cipher);
using Key = std::array<std::uint8_t, key_size>;
using PublicKey = std::array<std::uint8_t, dh_size>;
using Hash = std::array<std::uint8_t, hash_size>;

class KeyPair;
// The X25519 key pair whose secret is `secret` (clamped by X25519 itself).
KeyPair keypair_from_secret(const std::array<std::uint8_t, dh_size>& secret);

// An X25519 key pair: empty (all zero, as default-constructed or wiped), or made by
// keypair_from_secret, so that its public key is always its secret's. HandshakeState relies on
// that rather than recomputing the public keys it is given, which took two of the six
// scalar multiplications of each side of a handshake.
class KeyPair {
 public:
  KeyPair() = default;
  const std::array<std::uint8_t, dh_size>& secret() const { return secret_; }
  const PublicKey& public_key() const { return public_key_; }
  // An X25519 public key is never all zero (keypair_from_secret asserts it).
  bool empty() const;
  // Overwrites both halves; the pair is empty afterwards.
  void wipe();

 private:
  friend KeyPair keypair_from_secret(const std::array<std::uint8_t, dh_size>& secret);

  std::array<std::uint8_t, dh_size> secret_{};
  PublicKey public_key_{};
};

// Noise §5.1: a key (possibly empty) and a 64-bit nonce counter, for one cipher.
class CipherState {
 public:
  CipherState() = default;
  explicit CipherState(Cipher cipher);

  Cipher cipher() const { return cipher_; }
  void initialize_key(const std::optional<Key>& key);
  bool has_key() const { return key_.has_value(); }
  std::uint64_t nonce() const { return nonce_; }
  void set_nonce(std::uint64_t nonce) { nonce_ = nonce; }

  // Appends the ciphertext (plaintext plus a 16-byte tag, or the plaintext itself without a
  // key) to `out`.
  Result<void, NoiseFailure> encrypt_with_ad(ByteView ad, ByteView plaintext, Bytes& out);
  // Appends the plaintext to `out`; on failure `out` is unchanged and the nonce not advanced.
  Result<void, NoiseFailure> decrypt_with_ad(ByteView ad, ByteView ciphertext, Bytes& out);

 private:
  // The key k, wiped with sodium_memzero whenever it is replaced or destroyed. For AESGCM it
  // also holds the expanded key schedule (crypto_aead_aes256gcm_beforenm), computed once per
  // key instead of once per message; it is as secret as the key and wiped with it.
  struct SecretKey {
    Key bytes{};
    // Sized and aligned as libsodium's crypto_aead_aes256gcm_state (512 bytes, 16-aligned;
    // noise.cc asserts both), so this header need not include <sodium.h>.
    alignas(16) std::array<std::uint8_t, 512> aes_gcm_schedule{};

    SecretKey(Cipher cipher, const Key& key);
    SecretKey(const SecretKey& other) = default;
    SecretKey& operator=(const SecretKey& other) = default;
    ~SecretKey();
  };

  Cipher cipher_ = Cipher::chacha_poly;
  std::optional<SecretKey> key_;
  // n: the nonce of the next message; 2^64-1 is reserved (Noise §5.1), so it never advances
  // past that value.
  std::uint64_t nonce_ = 0;
};

enum class Pattern { nn, xn, ik, xx };
enum class Role { initiator, responder };

struct HandshakeOptions {
  Pattern pattern = Pattern::xx;
  Role role = Role::initiator;
  ByteView prologue;
  std::optional<KeyPair> static_keypair;   // s: required by XX (both), XN (initiator), IK
  std::optional<PublicKey> remote_static;  // rs: IK initiator only (pre-message), else empty
  KeyPair ephemeral_keypair;               // e: injected, never generated here
  Cipher cipher = Cipher::chacha_poly;     // must be cipher_available
};

namespace internal {
// A token of a message pattern (Noise §7.1); defined in noise.cc.
enum class Token : std::uint8_t;
}  // namespace internal

// Noise §5.3. Messages alternate initiator, responder, initiator, ... as the pattern says.
class HandshakeState {
 public:
  explicit HandshakeState(const HandshakeOptions& options);

  // Appends the next handshake message carrying `payload` to `out`.
  Result<void, NoiseFailure> write_message(ByteView payload, Bytes& out);
  // Processes the peer's next handshake message; appends its payload to `payload_out`.
  // On any error (of either call) the state and the output buffer are left unchanged.
  Result<void, NoiseFailure> read_message(ByteView message, Bytes& payload_out);

  bool is_complete() const;
  bool is_my_turn() const;
  // The peer's static key once a message carrying it was read (or given for IK).
  const std::optional<PublicKey>& remote_static() const;
  // h: a transcript hash both sides agree on; usable as a channel binding.
  const Hash& handshake_hash() const;
  // Valid once complete: (initiator-to-responder, responder-to-initiator) cipher states.
  // Every call returns fresh states at nonce 0: call it once, or nonces repeat.
  std::pair<CipherState, CipherState> split() const;

 private:
  // Noise §5.2: the chaining key, the handshake hash and the handshake's CipherState.
  struct SymmetricState {
    Hash chaining_key{};  // ck: HASHLEN (64) bytes for BLAKE2b, not a 32-byte cipher key
    Hash hash{};          // h
    CipherState cipher;

    SymmetricState() = default;
    SymmetricState(const SymmetricState& other) = default;
    SymmetricState& operator=(const SymmetricState& other) = default;
    ~SymmetricState();  // wipes ck

    void initialize(ByteView protocol_name, Cipher cipher_functions);
    void mix_key(ByteView input_key_material);
    void mix_hash(ByteView data);
    Result<void, NoiseFailure> encrypt_and_hash(ByteView plaintext, Bytes& out);
    Result<void, NoiseFailure> decrypt_and_hash(ByteView ciphertext, Bytes& out);
    std::pair<CipherState, CipherState> split() const;
  };

  // NB: state lives in a fixed-size inline struct, not behind a pointer, so the machine can be
  // copied and stored by value in a session. Each message is processed on a copy that replaces
  // the state only on success, so a rejected message leaves the machine as it was.
  struct State {
    SymmetricState symmetric;
    Pattern pattern = Pattern::xx;
    Role role = Role::initiator;
    std::optional<KeyPair> s;
    KeyPair e;
    std::optional<PublicKey> rs;
    std::optional<PublicKey> re;
    std::size_t message_index = 0;  // index of the next pattern message to write or read

    State() = default;
    State(const State& other) = default;
    State& operator=(const State& other) = default;
    ~State();  // wipes the secrets of s and e
  };

  using Token = internal::Token;

  static Result<void, NoiseFailure> write_token(State& state, Token token, Bytes& message);
  static Result<void, NoiseFailure> read_token(State& state, Token token, ByteView& message);
  static Result<void, NoiseFailure> mix_dh(State& state, Token token);

  State state_;
};

}  // namespace mesh::engine::noise
