#include "engine/session.h"

#include <algorithm>
#include <cstring>

#include "engine/internal/codec.h"
#include "engine/limits.h"

namespace mesh::engine {

namespace {

constexpr std::array<std::uint8_t, 8> preamble_magic = {'m', 'e', 's', 'h', '-', 'c', 't', 'l'};
constexpr std::uint16_t protocol_version = 1;
constexpr std::size_t frame_length_size = 4;
constexpr std::string_view hello_domain = "mesh-controller hello v1\n";
constexpr std::uint8_t chunk_final = 0;
constexpr std::uint8_t chunk_more = 1;

Bytes preamble_bytes(const Digest& network) {
  Bytes out;
  out.reserve(preamble_size);
  internal::Writer writer(out);
  writer.fixed(preamble_magic);
  writer.u16(protocol_version);
  writer.fixed(network.bytes);
  MESH_ASSERT(out.size() == preamble_size);
  return out;
}

void encode_hello_fields(const Hello& hello, Bytes& out) {
  internal::Writer writer(out);
  writer.fixed(hello.identity.bytes);
  writer.string(hello.zone);
  writer.u64(hello.incarnation);
  writer.u32(static_cast<std::uint32_t>(hello.endpoints.size()));
  for (const std::string& endpoint : hello.endpoints) writer.string(endpoint);
}

// What the Hello signature covers: the channel (network and our Noise static key) and the
// Hello itself, so neither can be swapped into another session.
Bytes hello_signed_message(const Digest& network, const noise::PublicKey& noise_static,
                           const Hello& hello) {
  Bytes message(hello_domain.begin(), hello_domain.end());
  message.insert(message.end(), network.bytes.begin(), network.bytes.end());
  message.insert(message.end(), noise_static.begin(), noise_static.end());
  encode_hello_fields(hello, message);
  return message;
}

// What the preamble carries: the network digest itself for ChaChaPoly (the default, so its
// preamble has not changed since AESGCM was added), a digest derived from it for AESGCM. A
// node thus tells a peer of its own network with the other cipher (cipher_mismatch) from a
// peer of another network.
Digest preamble_digest(const Digest& network, noise::Cipher cipher) {
  if (cipher == noise::Cipher::chacha_poly) return network;
  MESH_ASSERT(cipher == noise::Cipher::aes_gcm);
  return blake2b_256({as_bytes("mesh-controller cipher AESGCM\n"), network.bytes});
}

noise::Cipher other_cipher(noise::Cipher cipher) {
  return cipher == noise::Cipher::chacha_poly ? noise::Cipher::aes_gcm
                                              : noise::Cipher::chacha_poly;
}

noise::HandshakeOptions handshake_options(const SessionOptions& options, const Bytes& prologue) {
  return noise::HandshakeOptions{
      .pattern = noise::Pattern::xx,
      .role = options.initiator ? noise::Role::initiator : noise::Role::responder,
      .prologue = prologue,
      .static_keypair = options.static_keypair,
      .remote_static = std::nullopt,
      .ephemeral_keypair = options.ephemeral_keypair,
      .cipher = options.cipher,
  };
}

}  // namespace

Digest network_digest(std::string_view network_id) {
  return blake2b_256({as_bytes("mesh-controller network\n"), as_bytes(network_id)});
}

Session::Session(const SessionOptions& options)
    : initiator_(options.initiator),
      cipher_(options.cipher),
      network_digest_(options.network_digest),
      preamble_digest_(preamble_digest(options.network_digest, options.cipher)),
      hello_(options.hello),
      handshake_(handshake_options(options, preamble_bytes(preamble_digest_))),
      send_cipher_(options.cipher),
      receive_cipher_(options.cipher) {
  MESH_ASSERT(options.identity != nullptr);
  MESH_ASSERT(options.identity->public_key() == options.hello.identity);
  MESH_ASSERT(hello_.zone.size() <= zone_size_max);
  MESH_ASSERT(hello_.endpoints.size() <= endpoints_per_peer_max);
  hello_signature_ = options.identity->sign(
      hello_signed_message(network_digest_, options.static_keypair.public_key(), hello_));
  outgoing_ = preamble_bytes(preamble_digest_);
  // XX message 1 (-> e) carries nothing secret, so it goes out with the preamble.
  if (initiator_) write_handshake_message(false);
}

void Session::handle_bytes(ByteView bytes) {
  if (state_ == SessionState::failed) return;
  incoming_.insert(incoming_.end(), bytes.begin(), bytes.end());
  if (state_ == SessionState::preamble) process_preamble();
  if (state_ == SessionState::handshake || state_ == SessionState::established) {
    process_frames();
  }
  // Drop consumed bytes once they dominate the buffer, keeping the copy cost linear.
  if (incoming_offset_ > 0 && incoming_offset_ * 2 >= incoming_.size()) {
    incoming_.erase(incoming_.begin(),
                    incoming_.begin() + static_cast<std::ptrdiff_t>(incoming_offset_));
    incoming_offset_ = 0;
  }
}

void Session::process_preamble() {
  if (incoming_.size() - incoming_offset_ < preamble_size) return;
  internal::Reader reader(ByteView(incoming_).subspan(incoming_offset_, preamble_size));
  const auto magic = reader.fixed<8>("magic");
  const auto version = reader.u16("version");
  const auto network = reader.fixed<digest_size>("network");
  MESH_ASSERT(magic.ok() && version.ok() && network.ok());  // length checked above
  incoming_offset_ += preamble_size;
  if (magic.value() != preamble_magic) {
    fail_with(SessionError::version_mismatch, "peer is not a mesh-controller (bad preamble)");
    return;
  }
  if (version.value() != protocol_version) {
    fail_with(SessionError::version_mismatch, "peer speaks protocol version " +
                                                  std::to_string(version.value()) + ", we speak " +
                                                  std::to_string(protocol_version));
    return;
  }
  // The other cipher's digest is derived only for a preamble that is not ours.
  if (network.value() != preamble_digest_.bytes &&
      network.value() == preamble_digest(network_digest_, other_cipher(cipher_)).bytes) {
    fail_with(SessionError::cipher_mismatch,
              "cipher mismatch: the peer uses Noise cipher " +
                  std::string(noise::cipher_name(other_cipher(cipher_))) + ", we use " +
                  std::string(noise::cipher_name(cipher_)) +
                  " (mesh.cipher must be the same on every zone of a network)");
    return;
  }
  if (network.value() != preamble_digest_.bytes) {
    fail_with(SessionError::network_id_mismatch,
              "network id mismatch: the peer belongs to a different network");
    return;
  }
  state_ = SessionState::handshake;
}

void Session::process_frames() {
  while (state_ == SessionState::handshake || state_ == SessionState::established) {
    const std::size_t available = incoming_.size() - incoming_offset_;
    if (available < frame_length_size) return;
    internal::Reader reader(ByteView(incoming_).subspan(incoming_offset_, frame_length_size));
    const std::uint32_t length = reader.u32("frame length").value();
    if (length > frame_size_max) {
      fail_with(SessionError::frame_too_large, "frame of " + std::to_string(length) +
                                                   " bytes exceeds " +
                                                   std::to_string(frame_size_max));
      return;
    }
    if (available < frame_length_size + length) return;
    const ByteView frame =
        ByteView(incoming_).subspan(incoming_offset_ + frame_length_size, length);
    incoming_offset_ += frame_length_size + length;
    if (state_ == SessionState::handshake) {
      process_handshake_frame(frame);
    } else {
      process_transport_frame(frame);
    }
  }
}

void Session::process_handshake_frame(ByteView frame) {
  if (handshake_.is_my_turn()) {
    fail_with(SessionError::handshake_failed, "handshake message out of turn");
    return;
  }
  scratch_.clear();
  const auto read = handshake_.read_message(frame, scratch_);
  if (!read.ok()) {
    fail_with(SessionError::handshake_failed, "handshake: " + read.error().message);
    return;
  }
  // XX messages 2 and 3 carry the peer's static key and then its Hello; message 1 carries
  // neither, and any payload on it is ignored.
  if (handshake_.remote_static().has_value()) {
    auto hello = decode_hello(scratch_);
    if (!hello.ok()) {
      fail_with(hello.error().code, hello.error().message);
      return;
    }
    remote_ = std::move(hello).value();
  }
  if (!handshake_.is_complete()) write_handshake_message(true);
  if (handshake_.is_complete()) become_established();
}

void Session::write_handshake_message(bool with_hello) {
  Bytes payload;
  if (with_hello) payload = encode_hello();
  scratch_.clear();
  const auto written = handshake_.write_message(payload, scratch_);
  MESH_ASSERT(written.ok());  // our own message always fits and it is our turn
  write_frame_header(scratch_.size());
  outgoing_.insert(outgoing_.end(), scratch_.begin(), scratch_.end());
}

void Session::write_frame_header(std::size_t size) {
  MESH_ASSERT(size <= frame_size_max);
  internal::Writer writer(outgoing_);
  writer.u32(static_cast<std::uint32_t>(size));
}

void Session::become_established() {
  MESH_ASSERT(handshake_.is_complete());
  MESH_ASSERT(remote_.has_value());
  auto [initiator_to_responder, responder_to_initiator] = handshake_.split();
  send_cipher_ = initiator_ ? initiator_to_responder : responder_to_initiator;
  receive_cipher_ = initiator_ ? responder_to_initiator : initiator_to_responder;
  state_ = SessionState::established;
}

void Session::process_transport_frame(ByteView frame) {
  scratch_.clear();
  const auto decrypted = receive_cipher_.decrypt_with_ad({}, frame, scratch_);
  if (!decrypted.ok()) {
    fail_with(SessionError::decrypt_failed,
              "frame failed authentication (tampered, replayed or out of order)");
    return;
  }
  if (scratch_.empty() || scratch_[0] > chunk_more) {
    fail_with(SessionError::malformed, "frame without a valid chunk flag");
    return;
  }
  if (reassembly_.size() + scratch_.size() - 1 > message_size_max) {
    fail_with(SessionError::message_too_large,
              "message exceeds " + std::to_string(message_size_max) + " bytes");
    return;
  }
  reassembly_.insert(reassembly_.end(), scratch_.begin() + 1, scratch_.end());
  if (scratch_[0] == chunk_final) {
    received_.push_back(std::move(reassembly_));
    reassembly_ = Bytes();
  }
}

void Session::send(ByteView message) {
  if (state_ == SessionState::failed) return;
  MESH_ASSERT(state_ == SessionState::established);
  MESH_ASSERT(message.size() <= message_size_max);
  // One allocation for the whole message: take_outgoing hands the buffer to the driver, so
  // the first write after it would allocate, and each frame's ciphertext would grow it again.
  const std::size_t frame_count =
      std::max<std::size_t>(1, (message.size() + frame_payload_size_max - 1) /
                                   frame_payload_size_max);
  // Doubling, not an exact reserve: the node queues several messages before the driver takes
  // them, and growing to the exact size each time would copy the queue once per message.
  const std::size_t size_needed =
      outgoing_.size() + message.size() + frame_count * (frame_length_size + 1 + frame_tag_size);
  if (size_needed > outgoing_.capacity()) {
    outgoing_.reserve(std::max(size_needed, 2 * outgoing_.capacity()));
  }
  std::size_t offset = 0;
  do {
    const std::size_t chunk = std::min(frame_payload_size_max, message.size() - offset);
    const bool last = offset + chunk == message.size();
    scratch_.clear();
    scratch_.push_back(last ? chunk_final : chunk_more);
    scratch_.insert(scratch_.end(), message.begin() + static_cast<std::ptrdiff_t>(offset),
                    message.begin() + static_cast<std::ptrdiff_t>(offset + chunk));
    write_frame_header(scratch_.size() + frame_tag_size);
    const std::size_t before = outgoing_.size();
    const auto encrypted = send_cipher_.encrypt_with_ad({}, scratch_, outgoing_);
    MESH_ASSERT(encrypted.ok());  // 2^64 frames per session cannot be reached
    MESH_ASSERT(outgoing_.size() - before == scratch_.size() + frame_tag_size);
    offset += chunk;
  } while (offset < message.size());
}

Bytes Session::take_outgoing() {
  Bytes out;
  out.swap(outgoing_);
  return out;
}

std::optional<Bytes> Session::poll_message() {
  if (received_.empty()) return std::nullopt;
  Bytes message = std::move(received_.front());
  received_.pop_front();
  return message;
}

void Session::fail_with(SessionError code, std::string message) {
  state_ = SessionState::failed;
  failure_ = SessionFailure{code, std::move(message)};
}

Bytes Session::encode_hello() const {
  Bytes out;
  encode_hello_fields(hello_, out);
  internal::Writer writer(out);
  writer.fixed(hello_signature_.bytes);
  return out;
}

Result<Hello, SessionFailure> Session::decode_hello(ByteView payload) const {
  internal::Reader reader(payload);
  Hello hello;
  Signature signature;
  const auto parsed = [&]() -> Result<void, internal::CodecFailure> {
    MESH_TRY(hello.identity.bytes, reader.fixed<public_key_size>("hello identity"));
    MESH_TRY(hello.zone, reader.string("hello zone", zone_size_max));
    MESH_TRY(hello.incarnation, reader.u64("hello incarnation"));
    MESH_TRY(const std::size_t count, reader.count("hello endpoints", endpoints_per_peer_max, 4));
    for (std::size_t index = 0; index < count; index++) {
      MESH_TRY(std::string endpoint, reader.string("hello endpoint", endpoint_size_max));
      hello.endpoints.push_back(std::move(endpoint));
    }
    MESH_TRY(signature.bytes, reader.fixed<signature_size>("hello signature"));
    return reader.expect_end("hello");
  }();
  if (!parsed.ok()) {
    return fail(SessionError::malformed, "malformed hello: " + parsed.error().message);
  }
  MESH_ASSERT(handshake_.remote_static().has_value());  // XX sends s before any payload
  const Bytes signed_message =
      hello_signed_message(network_digest_, *handshake_.remote_static(), hello);
  if (!verify(hello.identity, signed_message, signature)) {
    return fail(SessionError::bad_identity_signature,
                "identity " + hello.identity.short_hex() +
                    " did not sign this channel (forged identity or replayed hello)");
  }
  return hello;
}

const char* to_string(SessionError error) {
  switch (error) {
    case SessionError::network_id_mismatch: return "network_id_mismatch";
    case SessionError::cipher_mismatch: return "cipher_mismatch";
    case SessionError::version_mismatch: return "version_mismatch";
    case SessionError::bad_identity_signature: return "bad_identity_signature";
    case SessionError::handshake_failed: return "handshake_failed";
    case SessionError::malformed: return "malformed";
    case SessionError::frame_too_large: return "frame_too_large";
    case SessionError::message_too_large: return "message_too_large";
    case SessionError::decrypt_failed: return "decrypt_failed";
  }
  MESH_UNREACHABLE();
}

}  // namespace mesh::engine
