// Session: the secure channel on one connection.
//
// 1. Preamble, in plaintext, from both sides at once: magic, protocol version and a digest of
//    the network id and the Noise cipher. A mismatch ends the session with "network id
//    mismatch" or "cipher mismatch" before any cryptography, so an operator sees the real
//    cause. (With ChaChaPoly, the default, the digest is the network digest itself: the
//    preamble of the default cipher is the same bytes as before AESGCM existed.)
// 2. Noise_XX_25519_ChaChaPoly_BLAKE2b or Noise_XX_25519_AESGCM_BLAKE2b (engine/noise.h),
//    prologue = preamble, so a peer that lies in the preamble still cannot finish the
//    handshake. The responder's second
//    message and the initiator's third carry a Hello: the Ed25519 identity key, the zone,
//    incarnation and endpoints, and an Ed25519 signature binding them to the Noise static key
//    and the network. A forged identity cannot produce that signature.
// 3. Transport: frames of a u32 length and one Noise message (the suite's AEAD, counter
//    nonces, at most frame_size_max bytes). Each frame's plaintext starts with a flag byte
//    saying whether more chunks of the same message follow, so messages of any size up to
//    message_size_max are chunked, never refused. Tampered, replayed or truncated frames fail
//    authentication and end the session.
//
// Inputs: handle_bytes (from the connection), send (a message to encrypt). Outputs: bytes to
// write (take_outgoing), received messages (poll_message), and the failure that ended it.
// The session never reads a clock: the node owns the handshake timeout.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/bytes.h"
#include "engine/crypto.h"
#include "engine/identity.h"
#include "engine/noise.h"
#include "engine/result.h"

namespace mesh::engine {

enum class SessionError {
  network_id_mismatch,     // the peer belongs to another network
  cipher_mismatch,         // same network, but the peer uses the other Noise cipher
  version_mismatch,        // another protocol version or not our protocol at all
  bad_identity_signature,  // the Hello signature does not bind the identity to the channel
  handshake_failed,        // Noise failed: tampered handshake or wrong keys
  malformed,               // a Hello or frame that does not parse
  frame_too_large,         // a length prefix above frame_size_max
  message_too_large,       // a chunked message above message_size_max
  decrypt_failed,          // a transport frame failed authentication (tampered, replayed)
};

using SessionFailure = Error<SessionError>;

// Who the peer says it is, proven by the Hello signature.
struct Hello {
  PublicKey identity;
  std::string zone;
  std::uint64_t incarnation = 0;
  std::vector<std::string> endpoints;
  bool operator==(const Hello&) const = default;
};

struct SessionOptions {
  bool initiator = false;
  Digest network_digest;               // BLAKE2b-256 of the network id string
  const Identity* identity = nullptr;  // borrowed for the constructor only
  Hello hello;                         // ours; identity must equal identity's key
  noise::KeyPair static_keypair;       // our Noise static key
  noise::KeyPair ephemeral_keypair;    // fresh per session (node's KeyStream)
  noise::Cipher cipher = noise::Cipher::chacha_poly;  // Config::cipher; equal on every node
};

enum class SessionState { preamble, handshake, established, failed };

class Session {
 public:
  explicit Session(const SessionOptions& options);

  // Feeds bytes received on the connection; processes all complete frames.
  void handle_bytes(ByteView bytes);
  // Encrypts and queues a message; only when established.
  void send(ByteView message);

  // Moves out everything queued for the connection.
  Bytes take_outgoing();
  bool has_outgoing() const { return !outgoing_.empty(); }
  std::size_t outgoing_size() const { return outgoing_.size(); }
  // The next complete received message, in order.
  std::optional<Bytes> poll_message();

  SessionState state() const { return state_; }
  const std::optional<SessionFailure>& failure() const { return failure_; }
  // The peer's proven Hello, once established.
  const std::optional<Hello>& remote() const { return remote_; }

 private:
  void process_preamble();
  void process_frames();
  void process_handshake_frame(ByteView frame);
  void process_transport_frame(ByteView frame);
  void write_handshake_message(bool with_hello);
  void write_frame_header(std::size_t size);
  void become_established();
  void fail_with(SessionError code, std::string message);
  Bytes encode_hello() const;
  Result<Hello, SessionFailure> decode_hello(ByteView payload) const;

  bool initiator_;
  noise::Cipher cipher_;
  Digest network_digest_;
  Digest preamble_digest_;  // network and cipher (preamble_digest in session.cc)
  Hello hello_;
  Signature hello_signature_;
  noise::HandshakeState handshake_;
  noise::CipherState send_cipher_;
  noise::CipherState receive_cipher_;
  SessionState state_ = SessionState::preamble;
  std::optional<SessionFailure> failure_;
  std::optional<Hello> remote_;
  Bytes incoming_;  // received, not yet processed
  std::size_t incoming_offset_ = 0;
  Bytes outgoing_;              // encrypted, not yet taken by the driver
  Bytes reassembly_;            // chunks of the message being received
  std::deque<Bytes> received_;  // complete messages not yet polled
  Bytes scratch_;               // reused plaintext buffer
};

// BLAKE2b-256 of the network id: what the Hello signature covers, and what the preamble and
// prologue carry with ChaChaPoly (AESGCM's carry a digest derived from it; session.cc).
Digest network_digest(std::string_view network_id);
const char* to_string(SessionError error);

}  // namespace mesh::engine
