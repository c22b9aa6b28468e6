// Checkpoint: what a node knows, saved by its driver so that a restart resumes with it
// ("restart with persisted state").
//
// It holds every operation of the node's log store, in an order a fresh store accepts (per log,
// its newest snapshot first), under a header binding it to one network and one node key. The
// operations are self-verifying and are checked again on restore, so a checkpoint needs no
// trust: a corrupt or foreign one is refused with a reason and the node starts without it,
// which is always safe (state is only a head start; the mesh holds everything else).
//
// A restored node still starts a new incarnation, newer than any of its own logs in the
// checkpoint: the checkpoint may be older than what the node published after it was written,
// and continuing an old log from a stale height would fork it. So a checkpoint can be written
// lazily (every few seconds, at shutdown); it never has to be written ahead of a send.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/bytes.h"
#include "engine/crypto.h"
#include "engine/identity.h"
#include "engine/log_store.h"
#include "engine/operation.h"
#include "engine/result.h"

namespace mesh::engine {

inline constexpr std::uint8_t checkpoint_version = 1;

enum class CheckpointError {
  malformed,            // not a checkpoint, truncated, or an operation that does not decode
  unsupported_version,  // written by a newer release
  other_network,        // written by a node of another network_id
  other_node,           // written by another node key
};
using CheckpointFailure = Error<CheckpointError>;

struct Checkpoint {
  std::uint64_t incarnation = 0;  // of the run that wrote it
  std::vector<Operation> operations;
};

Bytes encode_checkpoint(const Digest& network_digest, const PublicKey& node,
                        std::uint64_t incarnation, const LogStore& logs);
// Structure only: the operations' signatures and chains are checked when they are inserted.
Result<Checkpoint, CheckpointFailure> decode_checkpoint(ByteView bytes,
                                                        const Digest& network_digest,
                                                        const PublicKey& node);

}  // namespace mesh::engine
