#include "engine/operation.h"

#include "engine/internal/codec.h"
#include "engine/limits.h"

namespace mesh::engine {

namespace {

using internal::CodecFailure;
using internal::Reader;
using internal::Writer;

// Domain separation: an operation signature can never be mistaken for a signature over
// another structure (a handshake payload, a future message type).
constexpr std::string_view signature_domain = "mesh-controller operation v1\n";

// Fixed size of a snapshot entry on the wire: seq, key, hash.
constexpr std::size_t snapshot_entry_size = 8 + digest_size + digest_size;

OperationFailure malformed(const CodecFailure& failure) {
  return OperationFailure{OperationError::malformed, "operation: " + failure.message};
}

}  // namespace

std::string LogId::to_string() const {
  return author.short_hex() + "/" + std::to_string(incarnation);
}

Result<Operation, OperationFailure> Operation::create(const Identity& identity,
                                                      const OperationFields& fields,
                                                      Bytes payload) {
  MESH_ASSERT(identity.public_key() == fields.log.author);
  MESH_ASSERT(fields.backlink.has_value() == (fields.seq > 0));
  if (payload.size() > operation_payload_size_max) {
    return fail(OperationError::payload_too_large,
                "operation payload of " + std::to_string(payload.size()) + " bytes exceeds " +
                    std::to_string(operation_payload_size_max));
  }
  Operation operation;
  operation.fields_ = fields;
  operation.payload_ = std::move(payload);
  operation.payload_hash_ = blake2b_256(operation.payload_);
  Bytes message(signature_domain.begin(), signature_domain.end());
  operation.encode_signed_part(message);
  operation.signature_ = identity.sign(message);
  operation.compute_hash();
  MESH_DEBUG_ASSERT(operation.verify_signature());
  return operation;
}

void Operation::encode_signed_part(Bytes& out) const {
  Writer writer(out);
  writer.u8(operation_version);
  writer.u8(static_cast<std::uint8_t>(fields_.kind));
  writer.fixed(fields_.log.author.bytes);
  writer.u64(fields_.log.incarnation);
  writer.u64(fields_.seq);
  writer.fixed(fields_.key.bytes);
  writer.u8(fields_.backlink ? 1 : 0);
  if (fields_.backlink) writer.fixed(fields_.backlink->bytes);
  writer.fixed(payload_hash_.bytes);
  writer.u32(static_cast<std::uint32_t>(payload_.size()));
  writer.i64(fields_.timestamp_ms);
}

void Operation::compute_hash() {
  Bytes signed_part;
  signed_part.reserve(operation_header_size_max);
  encode_signed_part(signed_part);
  hash_ = blake2b_256({signed_part, signature_.bytes});
}

void Operation::encode(Bytes& out) const {
  const std::size_t start = out.size();
  encode_signed_part(out);
  Writer writer(out);
  writer.fixed(signature_.bytes);
  writer.raw(payload_);
  MESH_ASSERT(out.size() - start == encoded_size());
}

std::size_t Operation::encoded_size() const {
  const std::size_t header =
      1 + 1 + 32 + 8 + 8 + 32 + 1 + (fields_.backlink ? 32 : 0) + 32 + 4 + 8 + signature_size;
  return header + payload_.size();
}

Result<Operation, OperationFailure> Operation::decode(ByteView bytes) {
  Reader reader(bytes);
  Operation op;
  const auto parsed = [&]() -> Result<std::uint32_t, CodecFailure> {
    MESH_TRY(const std::uint8_t version, reader.u8("version"));
    if (version != operation_version) {
      return fail(internal::CodecError::invalid, "version " + std::to_string(version));
    }
    MESH_TRY(const std::uint8_t kind, reader.u8("kind"));
    if (kind != 1 && kind != 2) {
      return fail(internal::CodecError::invalid, "unknown kind " + std::to_string(kind));
    }
    op.fields_.kind = static_cast<OperationKind>(kind);
    MESH_TRY(op.fields_.log.author.bytes, reader.fixed<public_key_size>("author"));
    MESH_TRY(op.fields_.log.incarnation, reader.u64("incarnation"));
    MESH_TRY(op.fields_.seq, reader.u64("seq"));
    MESH_TRY(op.fields_.key.bytes, reader.fixed<digest_size>("key"));
    MESH_TRY(const std::uint8_t has_backlink, reader.u8("backlink flag"));
    if (has_backlink > 1 || (has_backlink == 1) != (op.fields_.seq > 0)) {
      return fail(internal::CodecError::invalid, "backlink must be present iff seq > 0");
    }
    if (has_backlink == 1) {
      MESH_TRY(const auto backlink, reader.fixed<digest_size>("backlink"));
      op.fields_.backlink = Digest{backlink};
    }
    MESH_TRY(op.payload_hash_.bytes, reader.fixed<digest_size>("payload hash"));
    MESH_TRY(const std::uint32_t payload_size, reader.u32("payload size"));
    MESH_TRY(op.fields_.timestamp_ms, reader.i64("timestamp"));
    MESH_TRY(op.signature_.bytes, reader.fixed<signature_size>("signature"));
    return payload_size;
  }();
  if (!parsed.ok()) {
    const bool version = bytes.size() > 0 && bytes[0] != operation_version;
    if (version) {
      return fail(OperationError::unsupported_version,
                  "operation: unsupported version " + std::to_string(bytes[0]));
    }
    return fail(malformed(parsed.error()));
  }
  const std::uint32_t payload_size = parsed.value();
  if (payload_size > operation_payload_size_max) {
    return fail(OperationError::payload_too_large,
                "operation: payload of " + std::to_string(payload_size) + " bytes exceeds " +
                    std::to_string(operation_payload_size_max));
  }
  if (reader.remaining() != payload_size) {
    return fail(OperationError::malformed,
                "operation: payload size " + std::to_string(payload_size) + " but " +
                    std::to_string(reader.remaining()) + " bytes follow");
  }
  op.payload_.assign(bytes.end() - static_cast<std::ptrdiff_t>(payload_size), bytes.end());
  op.compute_hash();
  return op;
}

bool Operation::payload_matches() const {
  return blake2b_256(payload_) == payload_hash_;
}

bool Operation::verify_signature() const {
  Bytes message(signature_domain.begin(), signature_domain.end());
  encode_signed_part(message);
  return verify(fields_.log.author, message, signature_);
}

Bytes encode_snapshot_payload(const std::vector<SnapshotEntry>& entries) {
  MESH_ASSERT(entries.size() <= snapshot_entries_max);
  Bytes out;
  out.reserve(4 + entries.size() * snapshot_entry_size);
  Writer writer(out);
  writer.u32(static_cast<std::uint32_t>(entries.size()));
  std::uint64_t previous_seq = 0;
  for (std::size_t index = 0; index < entries.size(); index++) {
    MESH_ASSERT(index == 0 || entries[index].seq > previous_seq);
    previous_seq = entries[index].seq;
    writer.u64(entries[index].seq);
    writer.fixed(entries[index].key.bytes);
    writer.fixed(entries[index].hash.bytes);
  }
  return out;
}

Result<std::vector<SnapshotEntry>, OperationFailure> decode_snapshot_payload(
    ByteView payload, std::uint64_t snapshot_seq) {
  Reader reader(payload);
  const auto decoded = [&]() -> Result<std::vector<SnapshotEntry>, CodecFailure> {
    MESH_TRY(const std::size_t count,
             reader.count("snapshot entries", snapshot_entries_max, snapshot_entry_size));
    std::vector<SnapshotEntry> entries(count);
    for (std::size_t index = 0; index < count; index++) {
      MESH_TRY(entries[index].seq, reader.u64("snapshot entry seq"));
      MESH_TRY(entries[index].key.bytes, reader.fixed<digest_size>("snapshot entry key"));
      MESH_TRY(entries[index].hash.bytes, reader.fixed<digest_size>("snapshot entry hash"));
      const bool increasing = index == 0 || entries[index].seq > entries[index - 1].seq;
      if (!increasing || entries[index].seq >= snapshot_seq) {
        return fail(internal::CodecError::invalid,
                    "snapshot entries must be increasing and below the snapshot's seq");
      }
    }
    MESH_TRY_VOID(reader.expect_end("snapshot"));
    return entries;
  }();
  if (!decoded.ok()) return fail(malformed(decoded.error()));
  return decoded.value();
}

}  // namespace mesh::engine
