#include "engine/noise.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <sodium.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace mesh::engine::noise {
namespace {

using Secret = std::array<std::uint8_t, dh_size>;

constexpr std::string_view vectors_path =
    "/tests/engine/testdata/noise-vectors-25519-chachapoly-blake2b.json";

Bytes from_hex(std::string_view text) {
  EXPECT_EQ(text.size() % 2, 0u) << text;
  Bytes bytes;
  for (std::size_t index = 0; index + 1 < text.size(); index += 2) {
    bytes.push_back(
        static_cast<std::uint8_t>(std::stoul(std::string(text.substr(index, 2)), nullptr, 16)));
  }
  return bytes;
}

template <std::size_t size>
std::array<std::uint8_t, size> array_from_hex(std::string_view text) {
  const Bytes bytes = from_hex(text);
  EXPECT_EQ(bytes.size(), size) << text;
  std::array<std::uint8_t, size> array{};
  std::copy_n(bytes.begin(), std::min(size, bytes.size()), array.begin());
  return array;
}

const nlohmann::json& vectors() {
  static const nlohmann::json parsed = [] {
    std::ifstream file(std::string(MESH_SOURCE_DIR) + std::string(vectors_path));
    EXPECT_TRUE(file.good()) << "cannot open " << vectors_path;
    std::stringstream text;
    text << file.rdbuf();
    return nlohmann::json::parse(text.str());
  }();
  return parsed;
}

const nlohmann::json& vector_named(const std::string& protocol_name) {
  for (const nlohmann::json& vector : vectors().at("vectors")) {
    if (vector.at("protocol_name") == protocol_name) return vector;
  }
  ADD_FAILURE() << "no test vector " << protocol_name;
  static const nlohmann::json empty;
  return empty;
}

std::optional<KeyPair> optional_keypair(const nlohmann::json& vector, const std::string& field) {
  if (!vector.contains(field)) return std::nullopt;
  return keypair_from_secret(array_from_hex<dh_size>(vector.at(field).get<std::string>()));
}

struct VectorCase {
  Pattern pattern;
  const char* protocol_name;
  std::size_t handshake_message_count;
};

void PrintTo(const VectorCase& test_case, std::ostream* out) {
  *out << test_case.protocol_name;
}

// Sends one message from `sender` to `receiver` and checks both sides against the vector.
template <typename Write, typename Read>
void check_vector_message(const nlohmann::json& message, Write write, Read read) {
  const Bytes payload = from_hex(message.at("payload").get<std::string>());
  const Bytes ciphertext = from_hex(message.at("ciphertext").get<std::string>());
  Bytes written;
  const auto write_result = write(payload, written);
  ASSERT_TRUE(write_result.ok()) << write_result.error().message;
  EXPECT_EQ(written, ciphertext);
  Bytes read_payload;
  const auto read_result = read(ciphertext, read_payload);
  ASSERT_TRUE(read_result.ok()) << read_result.error().message;
  EXPECT_EQ(read_payload, payload);
}

// One party of a vector: `init_*` fields for the initiator, `resp_*` for the responder.
HandshakeState vector_party(const nlohmann::json& vector, Pattern pattern, Role role) {
  const std::string prefix = role == Role::initiator ? "init_" : "resp_";
  const Bytes prologue = from_hex(vector.at(prefix + "prologue").get<std::string>());
  std::optional<PublicKey> remote_static;
  if (vector.contains(prefix + "remote_static")) {
    remote_static = array_from_hex<dh_size>(vector.at(prefix + "remote_static").get<std::string>());
  }
  return HandshakeState({.pattern = pattern,
                         .role = role,
                         .prologue = prologue,
                         .static_keypair = optional_keypair(vector, prefix + "static"),
                         .remote_static = remote_static,
                         .ephemeral_keypair = *optional_keypair(vector, prefix + "ephemeral")});
}

// Noise §5.2 Split: the initiator sends with the first cipher state, the responder with the
// second; the vectors keep alternating senders after the handshake.
void check_vector_transport(const nlohmann::json& messages, std::size_t first_index,
                            const HandshakeState& initiator, const HandshakeState& responder) {
  auto [initiator_send, initiator_receive] = initiator.split();
  auto [responder_receive, responder_send] = responder.split();
  for (std::size_t index = first_index; index < messages.size(); index++) {
    SCOPED_TRACE("transport message " + std::to_string(index));
    CipherState& sender = index % 2 == 0 ? initiator_send : responder_send;
    CipherState& receiver = index % 2 == 0 ? responder_receive : initiator_receive;
    check_vector_message(
        messages[index],
        [&](const Bytes& payload, Bytes& out) { return sender.encrypt_with_ad({}, payload, out); },
        [&](const Bytes& message, Bytes& out) {
          return receiver.decrypt_with_ad({}, message, out);
        });
  }
}

class NoiseVector : public testing::TestWithParam<VectorCase> {};

// Both roles of every published vector: handshake messages, handshake hash, remote statics and
// the transport messages under the split cipher states must match byte for byte.
TEST_P(NoiseVector, BothRolesReproduceEveryMessageAndTheHandshakeHash) {
  const VectorCase& test_case = GetParam();
  const nlohmann::json& vector = vector_named(test_case.protocol_name);
  ASSERT_FALSE(vector.is_null());
  HandshakeState initiator = vector_party(vector, test_case.pattern, Role::initiator);
  HandshakeState responder = vector_party(vector, test_case.pattern, Role::responder);
  const nlohmann::json& messages = vector.at("messages");
  ASSERT_GT(messages.size(), test_case.handshake_message_count);
  for (std::size_t index = 0; index < test_case.handshake_message_count; index++) {
    SCOPED_TRACE("handshake message " + std::to_string(index));
    HandshakeState& sender = index % 2 == 0 ? initiator : responder;
    HandshakeState& receiver = index % 2 == 0 ? responder : initiator;
    ASSERT_TRUE(sender.is_my_turn());
    ASSERT_FALSE(receiver.is_my_turn());
    check_vector_message(
        messages[index],
        [&](const Bytes& payload, Bytes& out) { return sender.write_message(payload, out); },
        [&](const Bytes& message, Bytes& out) { return receiver.read_message(message, out); });
  }
  ASSERT_TRUE(initiator.is_complete());
  ASSERT_TRUE(responder.is_complete());
  const Hash expected_hash =
      array_from_hex<hash_size>(vector.at("handshake_hash").get<std::string>());
  EXPECT_EQ(initiator.handshake_hash(), expected_hash);
  EXPECT_EQ(responder.handshake_hash(), expected_hash);
  // Each side learned (or, for IK's initiator, was given) the other's static public key.
  if (const auto responder_static = optional_keypair(vector, "resp_static")) {
    EXPECT_EQ(initiator.remote_static(), responder_static->public_key());
  }
  if (const auto initiator_static = optional_keypair(vector, "init_static")) {
    EXPECT_EQ(responder.remote_static(), initiator_static->public_key());
  }
  check_vector_transport(messages, test_case.handshake_message_count, initiator, responder);
}

INSTANTIATE_TEST_SUITE_P(
    Vectors, NoiseVector,
    testing::Values(VectorCase{Pattern::nn, "Noise_NN_25519_ChaChaPoly_BLAKE2b", 2},
                    VectorCase{Pattern::xn, "Noise_XN_25519_ChaChaPoly_BLAKE2b", 3},
                    VectorCase{Pattern::ik, "Noise_IK_25519_ChaChaPoly_BLAKE2b", 2},
                    VectorCase{Pattern::xx, "Noise_XX_25519_ChaChaPoly_BLAKE2b", 3}),
    [](const testing::TestParamInfo<VectorCase>& param_info) {
      return std::string(param_info.param.protocol_name).substr(6, 2);
    });

TEST(NoiseVectors, FileHoldsExactlyTheFourSupportedPatterns) {
  std::vector<std::string> names;
  for (const nlohmann::json& vector : vectors().at("vectors")) {
    names.push_back(vector.at("protocol_name").get<std::string>());
  }
  EXPECT_EQ(names, (std::vector<std::string>{
                       "Noise_NN_25519_ChaChaPoly_BLAKE2b", "Noise_XN_25519_ChaChaPoly_BLAKE2b",
                       "Noise_IK_25519_ChaChaPoly_BLAKE2b", "Noise_XX_25519_ChaChaPoly_BLAKE2b"}));
}

// ---- helpers for the behavioral tests ----

Secret secret_filled(std::uint8_t value) {
  Secret secret{};
  secret.fill(value);
  return secret;
}

struct XxPair {
  HandshakeState initiator;
  HandshakeState responder;
};

XxPair make_xx_pair(ByteView initiator_prologue = {}, ByteView responder_prologue = {}) {
  return XxPair{
      HandshakeState({.pattern = Pattern::xx,
                      .role = Role::initiator,
                      .prologue = initiator_prologue,
                      .static_keypair = keypair_from_secret(secret_filled(1)),
                      .ephemeral_keypair = keypair_from_secret(secret_filled(2))}),
      HandshakeState({.pattern = Pattern::xx,
                      .role = Role::responder,
                      .prologue = responder_prologue,
                      .static_keypair = keypair_from_secret(secret_filled(3)),
                      .ephemeral_keypair = keypair_from_secret(secret_filled(4))}),
  };
}

// Runs one handshake message from `sender` to `receiver`; fails the test on any error.
void deliver(HandshakeState& sender, HandshakeState& receiver) {
  Bytes message;
  ASSERT_TRUE(sender.write_message({}, message).ok());
  Bytes payload;
  ASSERT_TRUE(receiver.read_message(message, payload).ok());
  EXPECT_TRUE(payload.empty());
}

// A completed XX handshake's cipher states, named by direction.
struct Transport {
  CipherState initiator_send;
  CipherState initiator_receive;
  CipherState responder_send;
  CipherState responder_receive;
};

Transport completed_transport() {
  XxPair pair = make_xx_pair();
  deliver(pair.initiator, pair.responder);
  deliver(pair.responder, pair.initiator);
  deliver(pair.initiator, pair.responder);
  EXPECT_TRUE(pair.initiator.is_complete());
  EXPECT_TRUE(pair.responder.is_complete());
  auto [initiator_send, initiator_receive] = pair.initiator.split();
  auto [responder_receive, responder_send] = pair.responder.split();
  return Transport{initiator_send, initiator_receive, responder_send, responder_receive};
}

Bytes encrypt(CipherState& cipher, ByteView plaintext) {
  Bytes ciphertext;
  const auto result = cipher.encrypt_with_ad({}, plaintext, ciphertext);
  EXPECT_TRUE(result.ok());
  return ciphertext;
}

// ---- CipherState ----

TEST(NoiseCipherState, WithoutKeyPassesPlaintextThroughAndKeepsNonce) {
  CipherState cipher;
  EXPECT_FALSE(cipher.has_key());
  const Bytes plaintext{1, 2, 3};
  Bytes out{9};
  ASSERT_TRUE(cipher.encrypt_with_ad({}, plaintext, out).ok());
  EXPECT_EQ(out, (Bytes{9, 1, 2, 3}));
  Bytes decrypted;
  ASSERT_TRUE(cipher.decrypt_with_ad({}, plaintext, decrypted).ok());
  EXPECT_EQ(decrypted, plaintext);
  EXPECT_EQ(cipher.nonce(), 0u);
}

TEST(NoiseCipherState, TamperedCiphertextFailsWithoutAdvancingTheNonce) {
  Transport transport = completed_transport();
  const Bytes plaintext{'h', 'e', 'l', 'l', 'o'};
  const Bytes ciphertext = encrypt(transport.initiator_send, plaintext);
  for (std::size_t index = 0; index < ciphertext.size(); index++) {
    Bytes tampered = ciphertext;
    tampered[index] ^= 0x01;
    Bytes out{7};
    const auto result = transport.responder_receive.decrypt_with_ad({}, tampered, out);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, NoiseError::decrypt_failed);
    EXPECT_EQ(out, Bytes{7});
    EXPECT_EQ(transport.responder_receive.nonce(), 0u);
  }
  Bytes out;
  ASSERT_TRUE(transport.responder_receive.decrypt_with_ad({}, ciphertext, out).ok());
  EXPECT_EQ(out, plaintext);
  EXPECT_EQ(transport.responder_receive.nonce(), 1u);
}

TEST(NoiseCipherState, ReplayedTransportMessageFails) {
  Transport transport = completed_transport();
  const Bytes ciphertext = encrypt(transport.responder_send, Bytes{1, 2, 3});
  Bytes out;
  ASSERT_TRUE(transport.initiator_receive.decrypt_with_ad({}, ciphertext, out).ok());
  const auto replay = transport.initiator_receive.decrypt_with_ad({}, ciphertext, out);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.error().code, NoiseError::decrypt_failed);
  EXPECT_EQ(out, (Bytes{1, 2, 3}));
}

TEST(NoiseCipherState, WrongAssociatedDataFails) {
  Transport transport = completed_transport();
  Bytes ciphertext;
  ASSERT_TRUE(transport.initiator_send.encrypt_with_ad(Bytes{1}, Bytes{5}, ciphertext).ok());
  Bytes out;
  const auto result = transport.responder_receive.decrypt_with_ad(Bytes{2}, ciphertext, out);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, NoiseError::decrypt_failed);
}

TEST(NoiseCipherState, NonceTwoToTheSixtyFourMinusOneIsReserved) {
  Transport transport = completed_transport();
  const std::uint64_t last_usable = std::numeric_limits<std::uint64_t>::max() - 1;
  transport.initiator_send.set_nonce(last_usable);
  transport.responder_receive.set_nonce(last_usable);
  const Bytes ciphertext = encrypt(transport.initiator_send, Bytes{1});
  Bytes out;
  ASSERT_TRUE(transport.responder_receive.decrypt_with_ad({}, ciphertext, out).ok());
  Bytes more;
  const auto encrypted = transport.initiator_send.encrypt_with_ad({}, Bytes{1}, more);
  ASSERT_FALSE(encrypted.ok());
  EXPECT_EQ(encrypted.error().code, NoiseError::nonce_exhausted);
  EXPECT_TRUE(more.empty());
  const auto decrypted = transport.responder_receive.decrypt_with_ad({}, ciphertext, out);
  ASSERT_FALSE(decrypted.ok());
  EXPECT_EQ(decrypted.error().code, NoiseError::nonce_exhausted);
}

TEST(NoiseCipherState, TransportMessageOverTheLimitIsRejected) {
  Transport transport = completed_transport();
  const Bytes largest(message_size_max - tag_size, 0xab);
  const Bytes ciphertext = encrypt(transport.initiator_send, largest);
  EXPECT_EQ(ciphertext.size(), message_size_max);
  Bytes too_large_out;
  const auto encrypted = transport.initiator_send.encrypt_with_ad(
      {}, Bytes(message_size_max - tag_size + 1, 0xab), too_large_out);
  ASSERT_FALSE(encrypted.ok());
  EXPECT_EQ(encrypted.error().code, NoiseError::message_too_large);
  EXPECT_EQ(transport.initiator_send.nonce(), 1u);
  Bytes out;
  const auto decrypted =
      transport.responder_receive.decrypt_with_ad({}, Bytes(message_size_max + 1, 0), out);
  ASSERT_FALSE(decrypted.ok());
  EXPECT_EQ(decrypted.error().code, NoiseError::message_too_large);
  ASSERT_TRUE(transport.responder_receive.decrypt_with_ad({}, ciphertext, out).ok());
  EXPECT_EQ(out, largest);
}

TEST(NoiseCipherState, CiphertextShorterThanTagIsTooShort) {
  Transport transport = completed_transport();
  Bytes out;
  const auto result = transport.responder_receive.decrypt_with_ad({}, Bytes(15, 0), out);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, NoiseError::message_too_short);
}

// ---- HandshakeState ----

TEST(NoiseHandshake, WritingOrReadingOutOfTurnIsWrongTurn) {
  XxPair pair = make_xx_pair();
  Bytes out;
  const auto responder_write = pair.responder.write_message({}, out);
  ASSERT_FALSE(responder_write.ok());
  EXPECT_EQ(responder_write.error().code, NoiseError::wrong_turn);
  const auto initiator_read = pair.initiator.read_message(Bytes(dh_size, 9), out);
  ASSERT_FALSE(initiator_read.ok());
  EXPECT_EQ(initiator_read.error().code, NoiseError::wrong_turn);
  EXPECT_TRUE(out.empty());
  deliver(pair.initiator, pair.responder);
  const auto initiator_write_again = pair.initiator.write_message({}, out);
  ASSERT_FALSE(initiator_write_again.ok());
  EXPECT_EQ(initiator_write_again.error().code, NoiseError::wrong_turn);
  deliver(pair.responder, pair.initiator);
}

TEST(NoiseHandshake, MessagesAfterTheLastAreHandshakeComplete) {
  XxPair pair = make_xx_pair();
  deliver(pair.initiator, pair.responder);
  deliver(pair.responder, pair.initiator);
  deliver(pair.initiator, pair.responder);
  EXPECT_FALSE(pair.initiator.is_my_turn());
  EXPECT_FALSE(pair.responder.is_my_turn());
  Bytes out;
  const auto write = pair.responder.write_message({}, out);
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.error().code, NoiseError::handshake_complete);
  const auto read = pair.initiator.read_message(Bytes(64, 0), out);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, NoiseError::handshake_complete);
}

TEST(NoiseHandshake, MessagesOverTheLimitAreTooLargeOnWriteAndRead) {
  XxPair pair = make_xx_pair();
  Bytes out;
  // The first XX message is e (32 bytes) plus the payload in clear.
  const auto write = pair.initiator.write_message(Bytes(message_size_max - dh_size + 1, 0), out);
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.error().code, NoiseError::message_too_large);
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(pair.initiator.write_message(Bytes(message_size_max - dh_size, 0), out).ok());
  EXPECT_EQ(out.size(), message_size_max);
  Bytes payload;
  const auto read = pair.responder.read_message(Bytes(message_size_max + 1, 0), payload);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, NoiseError::message_too_large);
  ASSERT_TRUE(pair.responder.read_message(out, payload).ok());
  EXPECT_EQ(payload.size(), message_size_max - dh_size);
}

TEST(NoiseHandshake, TruncatedMessagesAreTooShortAndLeaveTheStateUnchanged) {
  XxPair pair = make_xx_pair();
  Bytes first;
  ASSERT_TRUE(pair.initiator.write_message({}, first).ok());
  Bytes payload;
  const auto short_e = pair.responder.read_message(ByteView(first).first(dh_size - 1), payload);
  ASSERT_FALSE(short_e.ok());
  EXPECT_EQ(short_e.error().code, NoiseError::message_too_short);
  ASSERT_TRUE(pair.responder.read_message(first, payload).ok());
  Bytes second;
  ASSERT_TRUE(pair.responder.write_message({}, second).ok());
  // e (32), encrypted s (48), encrypted empty payload (16): cut inside s, then inside the tag.
  ASSERT_EQ(second.size(), dh_size + dh_size + tag_size + tag_size);
  for (const std::size_t size : {dh_size + 10, dh_size + dh_size + tag_size + 5}) {
    const auto result = pair.initiator.read_message(ByteView(second).first(size), payload);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, NoiseError::message_too_short) << size;
    EXPECT_FALSE(pair.initiator.remote_static().has_value());
  }
  ASSERT_TRUE(pair.initiator.read_message(second, payload).ok());
  EXPECT_TRUE(payload.empty());
  EXPECT_TRUE(pair.initiator.remote_static().has_value());
}

TEST(NoiseHandshake, TamperedHandshakeMessageFailsAndTheGenuineOneStillReads) {
  XxPair pair = make_xx_pair();
  deliver(pair.initiator, pair.responder);
  Bytes second;
  ASSERT_TRUE(pair.responder.write_message(Bytes{1, 2, 3}, second).ok());
  const Hash hash_before = pair.initiator.handshake_hash();
  for (std::size_t index = 0; index < second.size(); index++) {
    Bytes tampered = second;
    tampered[index] ^= 0x80;
    Bytes payload;
    const auto result = pair.initiator.read_message(tampered, payload);
    ASSERT_FALSE(result.ok()) << index;
    EXPECT_EQ(result.error().code, NoiseError::decrypt_failed) << index;
    EXPECT_TRUE(payload.empty());
    EXPECT_EQ(pair.initiator.handshake_hash(), hash_before);
  }
  Bytes payload;
  ASSERT_TRUE(pair.initiator.read_message(second, payload).ok());
  EXPECT_EQ(payload, (Bytes{1, 2, 3}));
}

TEST(NoiseHandshake, DifferentProloguesFailAtTheFirstEncryptedPayload) {
  const Bytes ours{'a'};
  const Bytes theirs{'b'};
  XxPair pair = make_xx_pair(ours, theirs);
  deliver(pair.initiator, pair.responder);
  Bytes second;
  ASSERT_TRUE(pair.responder.write_message({}, second).ok());
  Bytes payload;
  const auto result = pair.initiator.read_message(second, payload);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, NoiseError::decrypt_failed);
}

// ---- AESGCM (Noise §12.4) ----

// McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 13 and 14: an
// all-zero 256-bit key and an all-zero 96-bit IV, which is Noise's AESGCM nonce for n = 0.
TEST(NoiseAesGcm, MatchesTheGcmSpecificationVectorsAtNonceZero) {
  if (!cipher_available(Cipher::aes_gcm)) GTEST_SKIP() << "no AES-NI on this CPU";
  for (const bool with_block : {false, true}) {
    CipherState cipher(Cipher::aes_gcm);
    cipher.initialize_key(Key{});
    const Bytes plaintext(with_block ? 16 : 0, 0);
    Bytes ciphertext;
    ASSERT_TRUE(cipher.encrypt_with_ad({}, plaintext, ciphertext).ok());
    const Bytes expected = with_block ? from_hex("cea7403d4d606b6e074ec5d3baf39d18"
                                                 "d0d1c8a799996bf0265b98b5d48ab919")
                                      : from_hex("530f8afbc74536b9a963b4f1c4cb738b");
    EXPECT_EQ(ciphertext, expected) << with_block;
    EXPECT_EQ(cipher.nonce(), 1u);
  }
}

// The nonce is 32 zero bits and the big-endian counter; ChaChaPoly's is little-endian, so the
// same counter in the wrong byte order would not decrypt.
TEST(NoiseAesGcm, NonceIsFourZeroBytesThenTheBigEndianCounter) {
  if (!cipher_available(Cipher::aes_gcm)) GTEST_SKIP() << "no AES-NI on this CPU";
  Key key{};
  key.fill(0x42);
  CipherState cipher(Cipher::aes_gcm);
  cipher.initialize_key(key);
  cipher.set_nonce(0x0102030405060708);
  const Bytes plaintext = from_hex("00112233445566778899");
  const Bytes ad = from_hex("abcdef");
  Bytes ours;
  ASSERT_TRUE(cipher.encrypt_with_ad(ad, plaintext, ours).ok());
  const Bytes big_endian = from_hex("000000000102030405060708");
  const Bytes little_endian = from_hex("000000000807060504030201");
  for (const Bytes* nonce : {&big_endian, &little_endian}) {
    Bytes theirs(plaintext.size() + tag_size);
    unsigned long long size = 0;
    ASSERT_EQ(crypto_aead_aes256gcm_encrypt(theirs.data(), &size, plaintext.data(),
                                            plaintext.size(), ad.data(), ad.size(), nullptr,
                                            nonce->data(), key.data()),
              0);
    EXPECT_EQ(ours == theirs, nonce == &big_endian);
  }
}

// CipherState assembles ChaCha20-Poly1305 itself for messages up to 511 bytes (noise.cc): its
// bytes must be libsodium's AEAD's at every size, on both sides of that threshold, and it
// must open what the library seals and refuse any change to it.
Bytes library_chacha_seal(const Key& key, std::uint64_t counter, const Bytes& ad,
                          const Bytes& plaintext) {
  Bytes nonce(12, 0);  // Noise §12.3: 32 zero bits, then the little-endian counter
  for (std::size_t index = 0; index < 8; index++) {
    nonce[4 + index] = static_cast<std::uint8_t>(counter >> (8 * index));
  }
  Bytes sealed(plaintext.size() + tag_size);
  unsigned long long sealed_size = 0;
  const int rc = crypto_aead_chacha20poly1305_ietf_encrypt(
      sealed.data(), &sealed_size, plaintext.data(), plaintext.size(), ad.data(), ad.size(),
      nullptr, nonce.data(), key.data());
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(sealed_size, sealed.size());
  return sealed;
}

TEST(NoiseChaChaPoly, SealsAsTheLibraryAeadAtEverySizeUpTo1100) {
  Key key{};
  key.fill(0x3c);
  // 64 bytes of AD (the Noise handshake hash) is the most the one-buffer Poly1305 takes; 65
  // takes the streaming form.
  for (const std::size_t ad_size : {0U, 1U, 15U, 16U, 17U, 63U, 64U, 65U}) {
    const Bytes ad(ad_size, 0xad);
    for (std::size_t size = 0; size <= 1100; size++) {
      Bytes plaintext(size);
      for (std::size_t index = 0; index < size; index++) {
        plaintext[index] = static_cast<std::uint8_t>(index * 7 + size);
      }
      const std::uint64_t counter = size * 1'000'003;
      CipherState sender(Cipher::chacha_poly);
      sender.initialize_key(key);
      sender.set_nonce(counter);
      Bytes ours;
      ASSERT_TRUE(sender.encrypt_with_ad(ad, plaintext, ours).ok());
      ASSERT_EQ(ours, library_chacha_seal(key, counter, ad, plaintext))
          << size << " bytes, " << ad_size << " bytes of AD";
      ASSERT_EQ(sender.nonce(), counter + 1);
      // The first and last byte of the ciphertext and of the tag, and the AD: each refused.
      for (const std::size_t at : {std::size_t{0}, size - 1, size, size + tag_size - 1}) {
        if (at >= ours.size()) continue;
        Bytes tampered = ours;
        tampered[at] ^= 0x01;
        CipherState receiver(Cipher::chacha_poly);
        receiver.initialize_key(key);
        receiver.set_nonce(counter);
        Bytes opened;
        ASSERT_FALSE(receiver.decrypt_with_ad(ad, tampered, opened).ok()) << size << " @" << at;
        ASSERT_TRUE(opened.empty());
        ASSERT_EQ(receiver.nonce(), counter);
      }
      CipherState receiver(Cipher::chacha_poly);
      receiver.initialize_key(key);
      receiver.set_nonce(counter);
      Bytes opened;
      const Bytes other_ad(ad_size + 1, 0xad);
      ASSERT_FALSE(receiver.decrypt_with_ad(other_ad, ours, opened).ok()) << size;
      ASSERT_TRUE(receiver.decrypt_with_ad(ad, ours, opened).ok()) << size;
      ASSERT_EQ(opened, plaintext);
      ASSERT_EQ(receiver.nonce(), counter + 1);
    }
  }
}

RC_GTEST_PROP(NoiseChaChaPoly, SealsAndOpensAsTheLibraryAeadDoes, ()) {
  const auto size = *rc::gen::inRange<std::size_t>(0, 1100);
  const Bytes plaintext = *rc::gen::container<Bytes>(size, rc::gen::arbitrary<std::uint8_t>());
  const Bytes ad = *rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>());
  const Key key = *rc::gen::arbitrary<Key>();
  // Any counter but the reserved 2^64-1.
  const auto counter = *rc::gen::inRange<std::uint64_t>(0, ~std::uint64_t{0});
  const Bytes theirs = library_chacha_seal(key, counter, ad, plaintext);
  CipherState sender(Cipher::chacha_poly);
  sender.initialize_key(key);
  sender.set_nonce(counter);
  Bytes ours;
  RC_ASSERT(sender.encrypt_with_ad(ad, plaintext, ours).ok());
  RC_ASSERT(ours == theirs);
  CipherState receiver(Cipher::chacha_poly);
  receiver.initialize_key(key);
  receiver.set_nonce(counter);
  Bytes tampered = theirs;
  const auto flipped = *rc::gen::inRange<std::size_t>(0, tampered.size());
  tampered[flipped] ^= static_cast<std::uint8_t>(*rc::gen::inRange<int>(1, 256));
  Bytes opened{0x5a};
  RC_ASSERT(!receiver.decrypt_with_ad(ad, tampered, opened).ok());
  RC_ASSERT(opened == Bytes{0x5a});  // untouched
  RC_ASSERT(receiver.nonce() == counter);  // not consumed
  RC_ASSERT(receiver.decrypt_with_ad(ad, theirs, opened).ok());
  RC_ASSERT(Bytes(opened.begin() + 1, opened.end()) == plaintext);
  RC_ASSERT(receiver.nonce() == counter + 1);
  RC_ASSERT(sender.nonce() == counter + 1);
}

TEST(NoiseAesGcm, ProtocolNameNamesTheCipherSoSuitesNeverInteroperate) {
  if (!cipher_available(Cipher::aes_gcm)) GTEST_SKIP() << "no AES-NI on this CPU";
  const Bytes prologue{'p'};
  HandshakeState initiator({.pattern = Pattern::xx,
                            .role = Role::initiator,
                            .prologue = prologue,
                            .static_keypair = keypair_from_secret(Secret{1}),
                            .ephemeral_keypair = keypair_from_secret(Secret{2}),
                            .cipher = Cipher::aes_gcm});
  HandshakeState responder({.pattern = Pattern::xx,
                            .role = Role::responder,
                            .prologue = prologue,
                            .static_keypair = keypair_from_secret(Secret{3}),
                            .ephemeral_keypair = keypair_from_secret(Secret{4}),
                            .cipher = Cipher::chacha_poly});
  Bytes first;
  ASSERT_TRUE(initiator.write_message({}, first).ok());
  Bytes ignored;
  ASSERT_TRUE(responder.read_message(first, ignored).ok());  // -> e carries no ciphertext
  Bytes second;
  ASSERT_TRUE(responder.write_message({}, second).ok());
  const auto result = initiator.read_message(second, ignored);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, NoiseError::decrypt_failed);
}

TEST(NoiseCipher, ConfigNamesRoundTripAndUnknownNamesAreRefused) {
  for (const Cipher cipher : {Cipher::chacha_poly, Cipher::aes_gcm}) {
    EXPECT_EQ(cipher_from_config_name(cipher_config_name(cipher)), cipher);
  }
  EXPECT_EQ(cipher_name(Cipher::chacha_poly), "ChaChaPoly");
  EXPECT_EQ(cipher_name(Cipher::aes_gcm), "AESGCM");
  EXPECT_FALSE(cipher_from_config_name("AESGCM").has_value());
  EXPECT_FALSE(cipher_from_config_name("").has_value());
  EXPECT_TRUE(cipher_available(Cipher::chacha_poly));
}

TEST(NoiseHandshake, LowOrderEphemeralKeyIsInvalidPublicKey) {
  HandshakeState responder({.pattern = Pattern::nn,
                            .role = Role::responder,
                            .ephemeral_keypair = keypair_from_secret(secret_filled(4))});
  // The identity point (all zeros) has order 1: every X25519 result with it is zero.
  Bytes payload;
  ASSERT_TRUE(responder.read_message(Bytes(dh_size, 0), payload).ok());
  Bytes out;
  const auto result = responder.write_message({}, out);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, NoiseError::invalid_public_key);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(responder.is_my_turn());
}

TEST(NoiseHandshake, IkInitiatorWithTheWrongResponderKeyFailsAtTheResponder) {
  const KeyPair responder_static = keypair_from_secret(secret_filled(3));
  const KeyPair impostor = keypair_from_secret(secret_filled(5));
  HandshakeState initiator({.pattern = Pattern::ik,
                            .role = Role::initiator,
                            .static_keypair = keypair_from_secret(secret_filled(1)),
                            .remote_static = impostor.public_key(),
                            .ephemeral_keypair = keypair_from_secret(secret_filled(2))});
  HandshakeState responder({.pattern = Pattern::ik,
                            .role = Role::responder,
                            .static_keypair = responder_static,
                            .ephemeral_keypair = keypair_from_secret(secret_filled(4))});
  Bytes message;
  ASSERT_TRUE(initiator.write_message({}, message).ok());
  Bytes payload;
  const auto result = responder.read_message(message, payload);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, NoiseError::decrypt_failed);
}

TEST(NoiseHandshake, KeypairFromSecretMatchesX25519BasePoint) {
  // RFC 7748 §6.1: Alice's private and public key.
  const KeyPair alice = keypair_from_secret(
      array_from_hex<dh_size>("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  EXPECT_EQ(
      alice.public_key(),
      array_from_hex<dh_size>("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
}

TEST(NoiseHandshakeDeathTest, MissingStaticKeyRequiredByThePatternIsAProgrammerError) {
  EXPECT_DEATH(HandshakeState({.pattern = Pattern::xx,
                               .role = Role::responder,
                               .ephemeral_keypair = keypair_from_secret(secret_filled(4))}),
               "static_keypair");
}

TEST(NoiseHandshake, OnlyKeypairFromSecretMakesANonEmptyKeyPair) {
  KeyPair pair = keypair_from_secret(secret_filled(6));
  EXPECT_FALSE(pair.empty());
  EXPECT_EQ(pair.public_key(), keypair_from_secret(pair.secret()).public_key());
  pair.wipe();
  EXPECT_TRUE(pair.empty());
  EXPECT_TRUE(KeyPair().empty());
}

TEST(NoiseHandshakeDeathTest, AnEmptyEphemeralKeyIsAProgrammerError) {
  EXPECT_DEATH(HandshakeState({.pattern = Pattern::nn,
                               .role = Role::initiator,
                               .ephemeral_keypair = KeyPair()}),
               "ephemeral_keypair.empty");
}

// ---- properties ----

Secret arbitrary_secret() {
  return *rc::gen::arbitrary<Secret>();
}

Bytes arbitrary_payload() {
  return *rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>());
}

// Writes `payload` from `sender`, reads it at `receiver`, and asserts it arrives unchanged.
void rc_deliver(HandshakeState& sender, HandshakeState& receiver, const Bytes& payload) {
  Bytes message;
  RC_ASSERT(sender.write_message(payload, message).ok());
  Bytes received;
  RC_ASSERT(receiver.read_message(message, received).ok());
  RC_ASSERT(received == payload);
}

void rc_round_trip(CipherState& sender, CipherState& receiver, const Bytes& payload) {
  Bytes ciphertext;
  RC_ASSERT(sender.encrypt_with_ad({}, payload, ciphertext).ok());
  RC_ASSERT(ciphertext.size() == payload.size() + tag_size);
  Bytes received;
  RC_ASSERT(receiver.decrypt_with_ad({}, ciphertext, received).ok());
  RC_ASSERT(received == payload);
}

RC_GTEST_PROP(NoiseProperty,
              XxBetweenAnyKeysWithEitherCipherAgreesOnHashAndStaticsAndTransportRoundTrips, ()) {
  const KeyPair initiator_static = keypair_from_secret(arbitrary_secret());
  const KeyPair responder_static = keypair_from_secret(arbitrary_secret());
  const Bytes prologue = arbitrary_payload();
  const Cipher cipher = cipher_available(Cipher::aes_gcm)
                            ? *rc::gen::element(Cipher::chacha_poly, Cipher::aes_gcm)
                            : Cipher::chacha_poly;
  HandshakeState initiator({.pattern = Pattern::xx,
                            .role = Role::initiator,
                            .prologue = prologue,
                            .static_keypair = initiator_static,
                            .ephemeral_keypair = keypair_from_secret(arbitrary_secret()),
                            .cipher = cipher});
  HandshakeState responder({.pattern = Pattern::xx,
                            .role = Role::responder,
                            .prologue = prologue,
                            .static_keypair = responder_static,
                            .ephemeral_keypair = keypair_from_secret(arbitrary_secret()),
                            .cipher = cipher});
  rc_deliver(initiator, responder, arbitrary_payload());
  rc_deliver(responder, initiator, arbitrary_payload());
  rc_deliver(initiator, responder, arbitrary_payload());
  RC_ASSERT(initiator.is_complete());
  RC_ASSERT(responder.is_complete());
  RC_ASSERT(initiator.handshake_hash() == responder.handshake_hash());
  RC_ASSERT(initiator.remote_static() == responder_static.public_key());
  RC_ASSERT(responder.remote_static() == initiator_static.public_key());
  auto [initiator_send, initiator_receive] = initiator.split();
  auto [responder_receive, responder_send] = responder.split();
  RC_ASSERT(initiator_send.cipher() == cipher);
  RC_ASSERT(responder_receive.cipher() == cipher);
  const auto transport_count = *rc::gen::inRange<std::size_t>(0, 8);
  for (std::size_t index = 0; index < transport_count; index++) {
    rc_round_trip(initiator_send, responder_receive, arbitrary_payload());
    rc_round_trip(responder_send, initiator_receive, arbitrary_payload());
  }
}

RC_GTEST_PROP(NoiseProperty, AnySingleBitFlipInATransportMessageIsRejected, ()) {
  Transport transport = completed_transport();
  const Bytes payload = arbitrary_payload();
  const Bytes ciphertext = encrypt(transport.initiator_send, payload);
  const auto bit_index = *rc::gen::inRange<std::size_t>(0, ciphertext.size() * 8);
  Bytes tampered = ciphertext;
  tampered[bit_index / 8] ^= static_cast<std::uint8_t>(1u << (bit_index % 8));
  Bytes out;
  const auto result = transport.responder_receive.decrypt_with_ad({}, tampered, out);
  RC_ASSERT(!result.ok());
  RC_ASSERT(result.error().code == NoiseError::decrypt_failed);
  RC_ASSERT(out.empty());
  RC_ASSERT(transport.responder_receive.decrypt_with_ad({}, ciphertext, out).ok());
  RC_ASSERT(out == payload);
}

}  // namespace
}  // namespace mesh::engine::noise
