#include "engine/checkpoint.h"

#include <limits>
#include <string>

#include "engine/internal/codec.h"
#include "engine/limits.h"

namespace mesh::engine {
namespace {

constexpr std::array<std::uint8_t, 8> magic = {'M', 'E', 'S', 'H', 'C', 'K', 'P', 'T'};
constexpr std::size_t operation_size_max = operation_header_size_max + operation_payload_size_max;
// The smallest encoded operation is well above this; it only bounds a forged count.
constexpr std::size_t operation_size_min = 64;

}  // namespace

Bytes encode_checkpoint(const Digest& network_digest, const PublicKey& node,
                        std::uint64_t incarnation, const LogStore& logs) {
  std::vector<const Operation*> operations;
  for (const LogId& log : logs.logs()) {
    // What a peer that holds nothing would be sent: the order a fresh store accepts.
    const auto missing =
        logs.missing_for(log, LogHeight{.log = log}, std::numeric_limits<std::size_t>::max(),
                         std::numeric_limits<std::size_t>::max());
    operations.insert(operations.end(), missing.operations.begin(), missing.operations.end());
  }
  Bytes out;
  internal::Writer writer(out);
  writer.fixed(magic);
  writer.u8(checkpoint_version);
  writer.fixed(network_digest.bytes);
  writer.fixed(node.bytes);
  writer.u64(incarnation);
  MESH_ASSERT(operations.size() <= UINT32_MAX);
  writer.u32(static_cast<std::uint32_t>(operations.size()));
  Bytes encoded;
  for (const Operation* operation : operations) {
    encoded.clear();
    operation->encode(encoded);
    writer.bytes(encoded);
  }
  return out;
}

Result<Checkpoint, CheckpointFailure> decode_checkpoint(ByteView bytes,
                                                        const Digest& network_digest,
                                                        const PublicKey& node) {
  internal::Reader reader(bytes);
  const auto malformed = [](const std::string& what) {
    return fail(CheckpointError::malformed, "checkpoint: " + what);
  };
  const auto header = reader.fixed<magic.size()>("magic");
  if (!header.ok() || header.value() != magic) return malformed("not a checkpoint (bad magic)");
  const auto version = reader.u8("version");
  if (!version.ok()) return malformed(version.error().message);
  if (version.value() != checkpoint_version) {
    return fail(CheckpointError::unsupported_version,
                "checkpoint: format version " + std::to_string(version.value()) +
                    " (this release reads " + std::to_string(checkpoint_version) + ")");
  }
  const auto network = reader.fixed<digest_size>("network");
  const auto key = reader.fixed<public_key_size>("node key");
  const auto incarnation = reader.u64("incarnation");
  if (!network.ok() || !key.ok() || !incarnation.ok()) return malformed("truncated header");
  if (network.value() != network_digest.bytes) {
    return fail(CheckpointError::other_network,
                "checkpoint: written in another network (network_id differs)");
  }
  if (key.value() != node.bytes) {
    return fail(CheckpointError::other_node,
                "checkpoint: written by another node key than " + node.short_hex());
  }
  Checkpoint checkpoint{.incarnation = incarnation.value(), .operations = {}};
  const auto count = reader.count("operations", UINT32_MAX, operation_size_min);
  if (!count.ok()) return malformed(count.error().message);
  checkpoint.operations.reserve(count.value());
  for (std::size_t index = 0; index < count.value(); index++) {
    const auto encoded = reader.bytes("operation", operation_size_max);
    if (!encoded.ok()) {
      return malformed("operation " + std::to_string(index) + ": " + encoded.error().message);
    }
    auto operation = Operation::decode(encoded.value());
    if (!operation.ok()) {
      return malformed("operation " + std::to_string(index) + ": " + operation.error().message);
    }
    checkpoint.operations.push_back(std::move(operation).value());
  }
  if (const auto end = reader.expect_end("checkpoint"); !end.ok()) {
    return malformed(end.error().message);
  }
  return checkpoint;
}

}  // namespace mesh::engine
