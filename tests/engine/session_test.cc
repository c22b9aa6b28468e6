#include "engine/session.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "engine/internal/codec.h"
#include "engine/limits.h"
#include "tests/support/keys.h"

namespace mesh::engine {
namespace {

noise::KeyPair keypair(std::uint8_t fill) {
  std::array<std::uint8_t, 32> secret{};
  secret.fill(fill);
  return noise::keypair_from_secret(secret);
}

struct Side {
  Identity identity;
  Session session;
};

Side make_side(bool initiator, std::uint8_t index, const std::string& network,
               const Identity* sign_as = nullptr,
               noise::Cipher cipher = noise::Cipher::chacha_poly) {
  Identity identity = test::test_identity(index);
  const Identity& signer = sign_as != nullptr ? *sign_as : identity;
  Session session(SessionOptions{
      .initiator = initiator,
      .network_digest = network_digest(network),
      .identity = &signer,
      .hello = Hello{.identity = signer.public_key(),
                     .zone = "zone" + std::to_string(index),
                     .incarnation = 7,
                     .endpoints = {"node" + std::to_string(index) + ":9102"}},
      .static_keypair = keypair(static_cast<std::uint8_t>(index * 2)),
      .ephemeral_keypair = keypair(static_cast<std::uint8_t>(index * 2 + 1)),
      .cipher = cipher,
  });
  return Side{identity, std::move(session)};
}

// Moves bytes both ways until neither side has anything to send.
void pump(Session& a, Session& b) {
  for (int round = 0; round < 10 && (a.has_outgoing() || b.has_outgoing()); round++) {
    const Bytes from_a = a.take_outgoing();
    const Bytes from_b = b.take_outgoing();
    b.handle_bytes(from_a);
    a.handle_bytes(from_b);
  }
}

struct Established {
  Side initiator;
  Side responder;
};

Established establish() {
  Established pair{make_side(true, 1, "net"), make_side(false, 2, "net")};
  pump(pair.initiator.session, pair.responder.session);
  return pair;
}

TEST(Session, HandshakeProvesBothIdentities) {
  Established pair = establish();
  ASSERT_EQ(pair.initiator.session.state(), SessionState::established);
  ASSERT_EQ(pair.responder.session.state(), SessionState::established);
  EXPECT_EQ(pair.initiator.session.remote()->identity, pair.responder.identity.public_key());
  EXPECT_EQ(pair.responder.session.remote()->identity, pair.initiator.identity.public_key());
  EXPECT_EQ(pair.initiator.session.remote()->zone, "zone2");
  EXPECT_EQ(pair.responder.session.remote()->endpoints, std::vector<std::string>{"node1:9102"});
}

TEST(Session, MessagesFlowBothWaysInOrder) {
  Established pair = establish();
  pair.initiator.session.send(as_bytes("one"));
  pair.initiator.session.send(as_bytes("two"));
  pair.responder.session.send(as_bytes("three"));
  pump(pair.initiator.session, pair.responder.session);
  EXPECT_EQ(as_text(*pair.responder.session.poll_message()), "one");
  EXPECT_EQ(as_text(*pair.responder.session.poll_message()), "two");
  EXPECT_FALSE(pair.responder.session.poll_message());
  EXPECT_EQ(as_text(*pair.initiator.session.poll_message()), "three");
}

TEST(Session, LargeMessagesAreChunkedNotRefused) {
  Established pair = establish();
  Bytes large(3 * 1024 * 1024 + 17);
  for (std::size_t i = 0; i < large.size(); i++) large[i] = static_cast<std::uint8_t>(i * 31);
  pair.initiator.session.send(large);
  const Bytes wire = pair.initiator.session.take_outgoing();
  EXPECT_GT(wire.size(), large.size());  // many frames, each with a tag
  // Deliver byte-dribbled to exercise partial frames.
  for (std::size_t offset = 0; offset < wire.size(); offset += 7919) {
    const std::size_t size = std::min<std::size_t>(7919, wire.size() - offset);
    pair.responder.session.handle_bytes(ByteView(wire).subspan(offset, size));
  }
  const auto received = pair.responder.session.poll_message();
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(*received, large);
}

TEST(Session, NetworkIdMismatchFailsBothSidesWithThatReason) {
  Side a = make_side(true, 1, "network-a");
  Side b = make_side(false, 2, "network-b");
  pump(a.session, b.session);
  ASSERT_EQ(a.session.state(), SessionState::failed);
  ASSERT_EQ(b.session.state(), SessionState::failed);
  EXPECT_EQ(a.session.failure()->code, SessionError::network_id_mismatch);
  EXPECT_EQ(b.session.failure()->code, SessionError::network_id_mismatch);
  EXPECT_NE(a.session.failure()->message.find("network id mismatch"), std::string::npos);
}

TEST(Session, CipherMismatchFailsBothSidesWithThatReason) {
  if (!noise::cipher_available(noise::Cipher::aes_gcm)) GTEST_SKIP() << "no AES-NI";
  Side a = make_side(true, 1, "net", nullptr, noise::Cipher::aes_gcm);
  Side b = make_side(false, 2, "net", nullptr, noise::Cipher::chacha_poly);
  pump(a.session, b.session);
  ASSERT_EQ(a.session.state(), SessionState::failed);
  ASSERT_EQ(b.session.state(), SessionState::failed);
  EXPECT_EQ(a.session.failure()->code, SessionError::cipher_mismatch);
  EXPECT_EQ(b.session.failure()->code, SessionError::cipher_mismatch);
  EXPECT_NE(a.session.failure()->message.find("peer uses Noise cipher ChaChaPoly, we use AESGCM"),
            std::string::npos)
      << a.session.failure()->message;
}

TEST(Session, OtherNetworkWithTheOtherCipherIsStillANetworkIdMismatch) {
  if (!noise::cipher_available(noise::Cipher::aes_gcm)) GTEST_SKIP() << "no AES-NI";
  Side a = make_side(true, 1, "network-a", nullptr, noise::Cipher::aes_gcm);
  Side b = make_side(false, 2, "network-b", nullptr, noise::Cipher::chacha_poly);
  pump(a.session, b.session);
  EXPECT_EQ(a.session.failure()->code, SessionError::network_id_mismatch);
  EXPECT_EQ(b.session.failure()->code, SessionError::network_id_mismatch);
}

TEST(Session, AesGcmSessionsProveIdentitiesAndCarryChunkedMessages) {
  if (!noise::cipher_available(noise::Cipher::aes_gcm)) GTEST_SKIP() << "no AES-NI";
  Side a = make_side(true, 1, "net", nullptr, noise::Cipher::aes_gcm);
  Side b = make_side(false, 2, "net", nullptr, noise::Cipher::aes_gcm);
  pump(a.session, b.session);
  ASSERT_EQ(a.session.state(), SessionState::established);
  ASSERT_EQ(b.session.state(), SessionState::established);
  EXPECT_EQ(a.session.remote()->identity, b.identity.public_key());
  const Bytes large(3 * frame_size_max, 0x5a);
  a.session.send(large);
  b.session.send(as_bytes("back"));
  pump(a.session, b.session);
  EXPECT_EQ(b.session.poll_message(), large);
  EXPECT_EQ(as_text(*a.session.poll_message()), "back");
}

// The default cipher's preamble is the network digest itself: the bytes nodes sent before
// AESGCM existed, so a mesh that leaves mesh.cipher unset keeps its wire format.
TEST(Session, ChaChaPolyPreambleCarriesThePlainNetworkDigest) {
  Side a = make_side(true, 1, "net");
  const Bytes wire = a.session.take_outgoing();
  const Digest network = network_digest("net");
  ASSERT_GE(wire.size(), preamble_size);
  EXPECT_TRUE(std::equal(network.bytes.begin(), network.bytes.end(),
                         wire.begin() + preamble_size - network.bytes.size()));
}

// A malicious responder speaking raw Noise: it claims `claimed` in its hello but signs with
// `signer`, over the channel of `signed_static` (its real static key unless replaying).
struct Outcome {
  SessionState state = SessionState::preamble;
  std::optional<SessionFailure> failure;
};

Outcome handshake_with_forged_hello(const Identity& claimed, const Identity& signer,
                                    const noise::PublicKey* signed_static) {
  Side victim = make_side(true, 1, "net");
  const noise::KeyPair responder_static = keypair(21);
  const Bytes preamble_and_first = victim.session.take_outgoing();
  Bytes prologue(preamble_and_first.begin(), preamble_and_first.begin() + preamble_size);
  noise::HandshakeState responder({.pattern = noise::Pattern::xx,
                                   .role = noise::Role::responder,
                                   .prologue = prologue,
                                   .static_keypair = responder_static,
                                   .ephemeral_keypair = keypair(22)});
  Bytes ignored;
  const ByteView first = ByteView(preamble_and_first).subspan(preamble_size + 4);
  EXPECT_TRUE(responder.read_message(first, ignored).ok());
  Bytes fields;
  internal::Writer writer(fields);
  writer.fixed(claimed.public_key().bytes);
  writer.string("zone9");
  writer.u64(1);
  writer.u32(0);
  Bytes signed_message(std::string_view("mesh-controller hello v1\n").begin(),
                       std::string_view("mesh-controller hello v1\n").end());
  const Digest network = network_digest("net");
  signed_message.insert(signed_message.end(), network.bytes.begin(), network.bytes.end());
  const noise::PublicKey& bound = signed_static ? *signed_static : responder_static.public_key();
  signed_message.insert(signed_message.end(), bound.begin(), bound.end());
  signed_message.insert(signed_message.end(), fields.begin(), fields.end());
  const Signature signature = signer.sign(signed_message);
  Bytes payload = fields;
  payload.insert(payload.end(), signature.bytes.begin(), signature.bytes.end());
  Bytes second;
  EXPECT_TRUE(responder.write_message(payload, second).ok());
  Bytes wire = prologue;  // the responder's own preamble (same network)
  internal::Writer frame(wire);
  frame.u32(static_cast<std::uint32_t>(second.size()));
  wire.insert(wire.end(), second.begin(), second.end());
  victim.session.handle_bytes(wire);
  return Outcome{victim.session.state(), victim.session.failure()};
}

TEST(Session, ForgedIdentityCannotFinishTheHandshake) {
  const Identity claimed = test::test_identity(3);
  const Identity attacker = test::test_identity(4);
  const Outcome outcome = handshake_with_forged_hello(claimed, attacker, nullptr);
  ASSERT_EQ(outcome.state, SessionState::failed);
  EXPECT_EQ(outcome.failure->code, SessionError::bad_identity_signature);
}

TEST(Session, HelloReplayedFromAnotherChannelIsRefused) {
  // Genuinely signed by the claimed identity, but for a different Noise static key.
  const Identity claimed = test::test_identity(3);
  const noise::PublicKey other_channel = keypair(77).public_key();
  const Outcome outcome = handshake_with_forged_hello(claimed, claimed, &other_channel);
  ASSERT_EQ(outcome.state, SessionState::failed);
  EXPECT_EQ(outcome.failure->code, SessionError::bad_identity_signature);
}

TEST(Session, GenuineHelloThroughTheSameRawPathIsAccepted) {
  // The two tests above mean something only if the raw path works when the hello is honest.
  const Identity claimed = test::test_identity(3);
  const Outcome outcome = handshake_with_forged_hello(claimed, claimed, nullptr);
  EXPECT_EQ(outcome.state, SessionState::established);
  EXPECT_FALSE(outcome.failure.has_value());
}

TEST(Session, NotOurProtocolIsAVersionMismatch) {
  Side a = make_side(false, 1, "net");
  a.session.handle_bytes(as_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n0123456789abcdef"));
  ASSERT_EQ(a.session.state(), SessionState::failed);
  EXPECT_EQ(a.session.failure()->code, SessionError::version_mismatch);
}

TEST(Session, TamperedFrameIsRefused) {
  Established pair = establish();
  pair.initiator.session.send(as_bytes("payload"));
  Bytes wire = pair.initiator.session.take_outgoing();
  wire[wire.size() / 2] ^= 1;
  pair.responder.session.handle_bytes(wire);
  ASSERT_EQ(pair.responder.session.state(), SessionState::failed);
  EXPECT_EQ(pair.responder.session.failure()->code, SessionError::decrypt_failed);
  EXPECT_FALSE(pair.responder.session.poll_message());
}

TEST(Session, ReplayedFrameIsRefused) {
  Established pair = establish();
  pair.initiator.session.send(as_bytes("pay me once"));
  const Bytes wire = pair.initiator.session.take_outgoing();
  pair.responder.session.handle_bytes(wire);
  EXPECT_TRUE(pair.responder.session.poll_message().has_value());
  pair.responder.session.handle_bytes(wire);
  ASSERT_EQ(pair.responder.session.state(), SessionState::failed);
  EXPECT_EQ(pair.responder.session.failure()->code, SessionError::decrypt_failed);
  EXPECT_FALSE(pair.responder.session.poll_message());
}

TEST(Session, TruncatedFrameWaitsAndDeliversNothing) {
  Established pair = establish();
  pair.initiator.session.send(as_bytes("complete me"));
  const Bytes wire = pair.initiator.session.take_outgoing();
  pair.responder.session.handle_bytes(ByteView(wire).first(wire.size() - 1));
  EXPECT_EQ(pair.responder.session.state(), SessionState::established);
  EXPECT_FALSE(pair.responder.session.poll_message());
  // A frame whose length prefix lies about its size desynchronizes the stream: the next
  // "frame" fails authentication instead of being accepted.
  Bytes lying = wire;
  lying[0] = static_cast<std::uint8_t>(lying[0] - 1);
  Established other = establish();
  other.initiator.session.send(as_bytes("complete me"));
  (void)other.initiator.session.take_outgoing();
  other.responder.session.handle_bytes(lying);
  EXPECT_EQ(other.responder.session.state(), SessionState::failed);
}

TEST(Session, OversizeFrameLengthIsRefused) {
  Established pair = establish();
  const Bytes oversize = {0xff, 0xff, 0x01, 0x00};  // 65535 + 65536 bytes announced
  pair.responder.session.handle_bytes(oversize);
  ASSERT_EQ(pair.responder.session.state(), SessionState::failed);
  EXPECT_EQ(pair.responder.session.failure()->code, SessionError::frame_too_large);
}

RC_GTEST_PROP(Session, AnyMessagesArriveIntactAndInOrderWhateverTheDribble,
              (const std::vector<std::string>& messages, std::uint16_t dribble)) {
  Established pair = establish();
  for (const std::string& message : messages) pair.initiator.session.send(as_bytes(message));
  const Bytes wire = pair.initiator.session.take_outgoing();
  const std::size_t step = std::max<std::size_t>(dribble, 1);
  for (std::size_t offset = 0; offset < wire.size(); offset += step) {
    pair.responder.session.handle_bytes(
        ByteView(wire).subspan(offset, std::min(step, wire.size() - offset)));
  }
  for (const std::string& message : messages) {
    const auto received = pair.responder.session.poll_message();
    RC_ASSERT(received.has_value());
    RC_ASSERT(as_text(*received) == message);
  }
  RC_ASSERT(!pair.responder.session.poll_message().has_value());
}

RC_GTEST_PROP(Session, ArbitraryBytesBeforeTheHandshakeNeverCrash,
              (const std::vector<std::uint8_t>& garbage)) {
  Side side = make_side(false, 1, "net");
  side.session.handle_bytes(garbage);
  RC_ASSERT(side.session.state() != SessionState::established);
}

}  // namespace
}  // namespace mesh::engine
