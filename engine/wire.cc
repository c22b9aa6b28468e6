#include "engine/wire.h"

#include <array>
#include <cstring>

#include "engine/internal/codec.h"
#include "engine/limits.h"

namespace mesh::engine {

namespace {

using internal::CodecError;
using internal::CodecFailure;
using internal::Reader;
using internal::Writer;
using internal::load_little_endian;

constexpr std::size_t height_entry_size = public_key_size + 8 + 8 + 8 + digest_size;
constexpr std::size_t liveness_entry_size = public_key_size + 8 + 8;
constexpr std::size_t goodbye_detail_size_max = 1024;
// Smallest possible encoded operation: fixed header without backlink, empty payload.
constexpr std::size_t operation_size_min = 1 + 1 + 32 + 8 + 8 + 32 + 1 + 32 + 4 + 8 + 64;

WireFailure from_codec(const CodecFailure& failure) {
  WireError code = WireError::invalid;
  switch (failure.code) {
    case CodecError::truncated: code = WireError::truncated; break;
    case CodecError::too_large: code = WireError::too_large; break;
    case CodecError::invalid:
    case CodecError::trailing_bytes: code = WireError::invalid; break;
  }
  return WireFailure{code, failure.message};
}

void header(Writer& writer, MessageType type) {
  writer.u8(wire_version);
  writer.u8(static_cast<std::uint8_t>(type));
}

Result<HeightsMessage, CodecFailure> decode_heights(Reader& reader) {
  MESH_TRY(const std::size_t count,
           reader.count("heights entries", heights_entries_max, height_entry_size));
  HeightsMessage message;
  message.entries.resize(count);
  for (LogHeight& entry : message.entries) {
    MESH_TRY(entry.log.author.bytes, reader.fixed<public_key_size>("heights author"));
    MESH_TRY(entry.log.incarnation, reader.u64("heights incarnation"));
    MESH_TRY(entry.height, reader.u64("heights height"));
    MESH_TRY(entry.next_seq, reader.u64("heights next_seq"));
    MESH_TRY(entry.head.bytes, reader.fixed<digest_size>("heights head"));
    if (entry.height > entry.next_seq) {
      return fail(CodecError::invalid, "heights: height above next_seq");
    }
    if (entry.next_seq == 0 && entry.head != Digest{}) {
      return fail(CodecError::invalid, "heights: a head for an empty log");
    }
  }
  return message;
}

// A count and then that many fixed-size entries, as one block: count() has checked that the
// entries fit in what is left, so one read takes them all (a read per field was a tenth of an
// idle node's own work, every heartbeat carrying the liveness table).
struct EntryBlock {
  std::size_t count = 0;
  ByteView block;
};

Result<EntryBlock, CodecFailure> read_entry_block(Reader& reader, const char* field,
                                                  std::size_t count_max,
                                                  std::size_t entry_size) {
  MESH_TRY(const std::size_t count, reader.count(field, count_max, entry_size));
  MESH_TRY(const ByteView block, reader.block(count * entry_size, field));
  MESH_ASSERT(block.size() == count * entry_size);
  MESH_ASSERT(count <= count_max);
  return EntryBlock{count, block};
}

Result<LivenessMessage, CodecFailure> decode_liveness(Reader& reader) {
  MESH_TRY(const EntryBlock entries, read_entry_block(reader, "liveness entries",
                                                      heights_entries_max, liveness_entry_size));
  const auto& [count, block] = entries;
  LivenessMessage message;
  message.entries.resize(count);
  for (std::size_t index = 0; index < count; index++) {
    const std::uint8_t* const at = block.data() + index * liveness_entry_size;
    LivenessEntry& entry = message.entries[index];
    std::memcpy(entry.peer.bytes.data(), at, public_key_size);
    entry.incarnation = load_little_endian(at + public_key_size, 8);
    entry.heartbeat = load_little_endian(at + public_key_size + 8, 8);
  }
  return message;
}

Result<LinksMessage, CodecFailure> decode_links(Reader& reader) {
  MESH_TRY(const EntryBlock entries,
           read_entry_block(reader, "links entries", links_entries_max, public_key_size));
  const auto& [count, block] = entries;
  LinksMessage message;
  message.peers.resize(count);
  for (std::size_t index = 0; index < count; index++) {
    std::memcpy(message.peers[index].bytes.data(), block.data() + index * public_key_size,
                public_key_size);
    // Sorted and unique on the wire, so a receiver can keep the list as it comes.
    if (index > 0 && !(message.peers[index - 1] < message.peers[index])) {
      return fail(CodecError::invalid, "links: peers not sorted or repeated");
    }
  }
  return message;
}

Result<GoodbyeMessage, CodecFailure> decode_goodbye(Reader& reader) {
  MESH_TRY(const std::uint8_t reason, reader.u8("goodbye reason"));
  if (reason < 1 || reason > 6) {
    return fail(CodecError::invalid, "goodbye: unknown reason " + std::to_string(reason));
  }
  GoodbyeMessage message;
  message.reason = static_cast<GoodbyeReason>(reason);
  MESH_TRY(message.detail, reader.string("goodbye detail", goodbye_detail_size_max));
  return message;
}

Result<Message, WireFailure> decode_operations(Reader& reader) {
  const auto parsed = [&]() -> Result<std::pair<std::size_t, bool>, CodecFailure> {
    MESH_TRY(const std::uint8_t more, reader.u8("operations more"));
    if (more > 1) return fail(CodecError::invalid, "operations: bad 'more' flag");
    MESH_TRY(const std::size_t count,
             reader.count("operations", sync_batch_operations_max, operation_size_min));
    return std::pair<std::size_t, bool>{count, more == 1};
  }();
  if (!parsed.ok()) return fail(from_codec(parsed.error()));
  OperationsMessage message;
  message.more = parsed->second;
  message.operations.reserve(parsed->first);
  for (std::size_t index = 0; index < parsed->first; index++) {
    const auto bytes =
        reader.bytes("operation", operation_header_size_max + operation_payload_size_max + 64);
    if (!bytes.ok()) return fail(from_codec(bytes.error()));
    auto operation = Operation::decode(bytes.value());
    if (!operation.ok()) {
      return fail(WireError::bad_operation,
                  "operations[" + std::to_string(index) + "]: " + operation.error().message);
    }
    message.operations.push_back(std::move(operation).value());
  }
  return Message(std::move(message));
}

}  // namespace

// Features: one varint of wire_feature bits, then anything a later version adds. Bits this
// node does not know are kept (ignored by the node): a newer peer may announce more.
Result<FeaturesMessage, CodecFailure> decode_features(Reader& reader) {
  MESH_TRY(const std::uint64_t features, reader.varint("features"));
  // What follows the bits is for later versions (Features is how they extend the protocol):
  // read past, not refused as trailing bytes.
  MESH_TRY(const ByteView later, reader.block(reader.remaining(), "features"));
  MESH_ASSERT(reader.remaining() == 0 && later.size() <= message_size_max);
  return FeaturesMessage{features};
}

// The longest LivenessRefs message: every entry with a key and the longest varints.
constexpr std::size_t liveness_ref_entry_size_max =
    internal::varint_size_max + public_key_size + 8 + internal::varint_size_max;
static_assert(2 + internal::varint_size_max +
                  liveness_refs_entries_max * liveness_ref_entry_size_max <=
              message_size_max);

// LivenessRefs: a varint count, then per entry a varint of (ref << 1 | key follows), the key
// if it follows, the incarnation as a u64 (a wall-clock millisecond count: six bytes as a
// varint, and a fixed field decodes in one load) and the heartbeat as a varint. Canonical like
// the rest: the reader refuses padded varints. An entry takes at least ten bytes, so a count
// is checked against the bytes left before anything is reserved.
Result<LivenessRefsMessage, CodecFailure> decode_liveness_refs(Reader& reader) {
  constexpr std::size_t entry_size_min = 1 + 8 + 1;
  MESH_TRY(const std::uint64_t count, reader.varint("liveness refs count"));
  if (count > liveness_refs_entries_max) {
    return fail(CodecError::too_large, "liveness refs: count " + std::to_string(count) +
                                           " exceeds " +
                                           std::to_string(liveness_refs_entries_max));
  }
  if (count > reader.remaining() / entry_size_min) {
    return fail(CodecError::truncated, "liveness refs: count " + std::to_string(count) +
                                           " needs more than the " +
                                           std::to_string(reader.remaining()) + " bytes left");
  }
  LivenessRefsMessage message;
  message.entries.resize(static_cast<std::size_t>(count));
  // Each field is read by a try_ call, and only where it fails read again by the call that
  // reports why: a Result per field was most of the cost of a heartbeat's decoding.
  for (LivenessRefEntry& entry : message.entries) {
    std::uint64_t tagged = 0;
    if (!reader.try_varint(tagged)) {
      MESH_TRY(tagged, reader.varint("liveness refs ref"));  // returns the error
    }
    const std::uint64_t ref = tagged >> 1;
    if (ref > UINT32_MAX) {
      return fail(CodecError::too_large, "liveness refs: ref " + std::to_string(ref) +
                                             " exceeds 2^32 - 1");
    }
    entry.ref = static_cast<std::uint32_t>(ref);
    if ((tagged & 1) != 0) {
      PublicKey key;
      if (!reader.try_fixed(key.bytes)) {
        MESH_TRY(key.bytes, reader.fixed<public_key_size>("liveness refs key"));
      }
      entry.key = key;
    }
    if (!reader.try_u64(entry.incarnation)) {
      MESH_TRY(entry.incarnation, reader.u64("liveness refs incarnation"));
    }
    if (!reader.try_varint(entry.heartbeat)) {
      MESH_TRY(entry.heartbeat, reader.varint("liveness refs heartbeat"));
    }
  }
  MESH_ASSERT(message.entries.size() <= liveness_refs_entries_max);
  return message;
}

void encode_heights(const std::vector<LogHeight>& entries, Bytes& out) {
  MESH_ASSERT(entries.size() <= heights_entries_max);
  Writer writer(out);
  header(writer, MessageType::heights);
  writer.u32(static_cast<std::uint32_t>(entries.size()));
  for (const LogHeight& entry : entries) {
    MESH_ASSERT(entry.height <= entry.next_seq);
    writer.fixed(entry.log.author.bytes);
    writer.u64(entry.log.incarnation);
    writer.u64(entry.height);
    writer.u64(entry.next_seq);
    writer.fixed(entry.head.bytes);
  }
}

void encode_operations(const std::vector<const Operation*>& operations, bool more, Bytes& out) {
  MESH_ASSERT(operations.size() <= sync_batch_operations_max);
  Writer writer(out);
  header(writer, MessageType::operations);
  writer.u8(more ? 1 : 0);
  writer.u32(static_cast<std::uint32_t>(operations.size()));
  for (const Operation* operation : operations) {
    writer.u32(static_cast<std::uint32_t>(operation->encoded_size()));
    operation->encode(out);
  }
}

void encode_liveness(const std::vector<LivenessEntry>& entries, Bytes& out) {
  MESH_ASSERT(entries.size() <= heights_entries_max);
  Writer writer(out);
  header(writer, MessageType::liveness);
  writer.u32(static_cast<std::uint32_t>(entries.size()));
  for (const LivenessEntry& entry : entries) {
    writer.fixed(entry.peer.bytes);
    writer.u64(entry.incarnation);
    writer.u64(entry.heartbeat);
  }
}

void encode_goodbye(const GoodbyeMessage& goodbye, Bytes& out) {
  Writer writer(out);
  header(writer, MessageType::goodbye);
  writer.u8(static_cast<std::uint8_t>(goodbye.reason));
  writer.string(goodbye.detail.substr(0, goodbye_detail_size_max));
}

void encode_links(const std::vector<PublicKey>& peers, Bytes& out) {
  MESH_ASSERT(peers.size() <= links_entries_max);
  Writer writer(out);
  header(writer, MessageType::links);
  writer.u32(static_cast<std::uint32_t>(peers.size()));
  for (std::size_t index = 0; index < peers.size(); index++) {
    MESH_ASSERT(index == 0 || peers[index - 1] < peers[index]);
    writer.fixed(peers[index].bytes);
  }
}

void encode_features(std::uint64_t features, Bytes& out) {
  Writer writer(out);
  header(writer, MessageType::features);
  writer.varint(features);
}

namespace {

// Writes one LivenessRefs message in place, into room for the longest encoding of `count`
// entries, and cuts `out` to size at the end: the per-connection encoder runs for every
// neighbour at every heartbeat, and a growth check per field was most of its cost.
class LivenessRefsWriter {
 public:
  LivenessRefsWriter(Bytes& out, std::size_t count) : out_(out), count_(count) {
    MESH_ASSERT(count <= liveness_refs_entries_max);
    const std::size_t start = out.size();
    out.resize(start + 2 + internal::varint_size_max + count * liveness_ref_entry_size_max);
    at_ = out.data() + start;
    *at_++ = wire_version;
    *at_++ = static_cast<std::uint8_t>(MessageType::liveness_refs);
    at_ += internal::store_varint(count, at_);
  }
  LivenessRefsWriter(const LivenessRefsWriter&) = delete;
  LivenessRefsWriter& operator=(const LivenessRefsWriter&) = delete;
  // After the last entry: cuts `out` to what was written.
  void finish() {
    MESH_ASSERT(written_ == count_);
    MESH_ASSERT(at_ <= out_.data() + out_.size());
    out_.resize(static_cast<std::size_t>(at_ - out_.data()));
  }
  void entry(std::uint32_t ref, const PublicKey* key, std::uint64_t incarnation,
             std::uint64_t heartbeat) {
    MESH_ASSERT(written_ < count_);
    at_ += internal::store_varint(std::uint64_t{ref} << 1 | (key != nullptr ? 1 : 0), at_);
    if (key != nullptr) {
      std::memcpy(at_, key->bytes.data(), public_key_size);
      at_ += public_key_size;
    }
    internal::store_little_endian(incarnation, at_, 8);
    at_ += 8;
    at_ += internal::store_varint(heartbeat, at_);
    written_++;
  }

 private:
  Bytes& out_;
  std::size_t count_;
  std::size_t written_ = 0;
  std::uint8_t* at_ = nullptr;
};

}  // namespace

// Any 32-bit ref encodes (tests write those of later versions); the node's own stay within
// liveness_ref_max (the per-connection encoder below).
void encode_liveness_refs(const std::vector<LivenessRefEntry>& entries, Bytes& out) {
  LivenessRefsWriter writer(out, entries.size());
  for (const LivenessRefEntry& entry : entries) {
    writer.entry(entry.ref, entry.key ? &*entry.key : nullptr, entry.incarnation,
                 entry.heartbeat);
  }
  writer.finish();
}

void encode_liveness_refs(const std::vector<LivenessEntry>& entries,
                          const std::vector<std::uint32_t>& refs, std::vector<bool>& key_sent,
                          Bytes& out) {
  MESH_ASSERT(entries.size() == refs.size());
  LivenessRefsWriter writer(out, entries.size());
  for (std::size_t index = 0; index < entries.size(); index++) {
    const std::uint32_t ref = refs[index];
    MESH_ASSERT(ref <= liveness_ref_max);
    if (ref >= key_sent.size()) key_sent.resize(ref + 1, false);
    const bool with_key = !key_sent[ref];
    writer.entry(ref, with_key ? &entries[index].peer : nullptr, entries[index].incarnation,
                 entries[index].heartbeat);
    key_sent[ref] = true;
  }
  writer.finish();
}

void encode_message(const Message& message, Bytes& out) {
  if (const auto* heights = std::get_if<HeightsMessage>(&message)) {
    encode_heights(heights->entries, out);
  } else if (const auto* operations = std::get_if<OperationsMessage>(&message)) {
    std::vector<const Operation*> borrowed;
    for (const Operation& operation : operations->operations) borrowed.push_back(&operation);
    encode_operations(borrowed, operations->more, out);
  } else if (const auto* liveness = std::get_if<LivenessMessage>(&message)) {
    encode_liveness(liveness->entries, out);
  } else if (const auto* links = std::get_if<LinksMessage>(&message)) {
    encode_links(links->peers, out);
  } else if (const auto* features = std::get_if<FeaturesMessage>(&message)) {
    encode_features(features->features, out);
  } else if (const auto* refs = std::get_if<LivenessRefsMessage>(&message)) {
    encode_liveness_refs(refs->entries, out);
  } else {
    encode_goodbye(std::get<GoodbyeMessage>(message), out);
  }
}

namespace {

// A decoded body as a Message, once the whole input was read.
template <typename T>
Result<Message, WireFailure> finish(const Reader& reader, MessageType type,
                                    Result<T, CodecFailure>&& decoded) {
  if (!decoded.ok()) return fail(from_codec(decoded.error()));
  if (reader.remaining() != 0) {
    return fail(WireError::invalid, std::string(to_string(type)) + ": " +
                                        std::to_string(reader.remaining()) + " trailing bytes");
  }
  return Message(std::in_place_type<T>, std::move(decoded).value());
}

}  // namespace

// Each case returns its own Result: building a placeholder and assigning the decoded message
// over it moved every message three more times.
Result<Message, WireFailure> decode_message(ByteView bytes) {
  if (bytes.size() < 2) {
    return fail(WireError::truncated, std::string(bytes.empty() ? "wire version" : "message type") +
                                          ": needs 1 bytes at offset " +
                                          std::to_string(bytes.size()) + ", 0 left");
  }
  Reader reader(bytes);
  std::array<std::uint8_t, 2> prefix{};
  const bool read = reader.try_fixed(prefix);
  MESH_ASSERT(read);
  const std::uint8_t version = prefix[0];
  const std::uint8_t type = prefix[1];
  if (version != wire_version) {
    return fail(WireError::unsupported_version, "wire version " + std::to_string(version));
  }
  const auto kind = static_cast<MessageType>(type);
  switch (kind) {
    case MessageType::heights: return finish(reader, kind, decode_heights(reader));
    case MessageType::operations: {
      auto message = decode_operations(reader);
      if (message.ok() && reader.remaining() != 0) {
        return fail(WireError::invalid, std::string(to_string(kind)) + ": " +
                                            std::to_string(reader.remaining()) +
                                            " trailing bytes");
      }
      return message;
    }
    case MessageType::liveness: return finish(reader, kind, decode_liveness(reader));
    case MessageType::goodbye: return finish(reader, kind, decode_goodbye(reader));
    case MessageType::links: return finish(reader, kind, decode_links(reader));
    case MessageType::features: return finish(reader, kind, decode_features(reader));
    case MessageType::liveness_refs: return finish(reader, kind, decode_liveness_refs(reader));
  }
  return fail(WireError::unknown_type, "unknown message type " + std::to_string(type));
}

bool is_compact_liveness_message(ByteView bytes) {
  if (bytes.size() < 2 || bytes[0] != wire_version) return false;
  const auto type = static_cast<MessageType>(bytes[1]);
  return type == MessageType::features || type == MessageType::liveness_refs;
}

const char* to_string(GoodbyeReason reason) {
  switch (reason) {
    case GoodbyeReason::shutdown: return "shutdown";
    case GoodbyeReason::duplicate: return "duplicate connection";
    case GoodbyeReason::too_many_connections: return "too many connections";
    case GoodbyeReason::not_allowed: return "not allowed";
    case GoodbyeReason::protocol_error: return "protocol error";
    case GoodbyeReason::idle: return "idle";
  }
  MESH_UNREACHABLE();
}

const char* to_string(MessageType type) {
  switch (type) {
    case MessageType::heights: return "heights";
    case MessageType::operations: return "operations";
    case MessageType::liveness: return "liveness";
    case MessageType::goodbye: return "goodbye";
    case MessageType::links: return "links";
    case MessageType::features: return "features";
    case MessageType::liveness_refs: return "liveness refs";
  }
  return "unknown";
}

}  // namespace mesh::engine
