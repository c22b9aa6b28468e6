// The message codec of the mesh protocol (version 1), carried inside a session.
//
// Messages: Heights (what logs a node holds), Operations (a batch of signed operations, from
// sync or eager push), Liveness (heartbeat counters, relayed), Goodbye (why a connection
// closes), Links (the peers the sender holds an established connection with, so that its
// neighbours need not relay it what those peers push it themselves). Layout: u8 wire version,
// u8 type, then the body in fixed-width little-endian fields (engine/internal/codec.h;
// docs/protocol.md says why not CBOR). Every decoder checks lengths and counts against
// engine/limits.h and returns an error value on bad input.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "engine/bytes.h"
#include "engine/log_store.h"
#include "engine/operation.h"
#include "engine/result.h"

namespace mesh::engine {

inline constexpr std::uint8_t wire_version = 1;

enum class MessageType : std::uint8_t {
  heights = 1,
  operations = 2,
  liveness = 3,
  goodbye = 4,
  links = 5,  // added within wire version 1: a node that does not know it skips it
};

enum class WireError {
  truncated,            // the message ends inside a field
  too_large,            // a count or length over its limit
  invalid,              // a field outside its domain
  unsupported_version,  // another wire version
  unknown_type,         // a message type this version does not know (skippable)
  bad_operation,        // an embedded operation does not decode
};

using WireFailure = Error<WireError>;

struct HeightsMessage {
  std::vector<LogHeight> entries;
  bool operator==(const HeightsMessage&) const = default;
};

struct OperationsMessage {
  std::vector<Operation> operations;
  bool more = false;  // the sender stopped at a batch limit; ask again
};

struct LivenessEntry {
  PublicKey peer;
  std::uint64_t incarnation = 0;
  std::uint64_t heartbeat = 0;  // increases every heartbeat interval while the peer runs
  bool operator==(const LivenessEntry&) const = default;
};

struct LivenessMessage {
  std::vector<LivenessEntry> entries;
  bool operator==(const LivenessMessage&) const = default;
};

enum class GoodbyeReason : std::uint8_t {
  shutdown = 1,   // the peer stops gracefully
  duplicate = 2,  // another connection between the same two nodes is kept
  too_many_connections = 3,
  not_allowed = 4,     // admission refused this key or zone
  protocol_error = 5,  // the peer sent something we cannot accept
  idle = 6,            // nothing received within the link timeout
};

struct GoodbyeMessage {
  GoodbyeReason reason = GoodbyeReason::shutdown;
  std::string detail;
  bool operator==(const GoodbyeMessage&) const = default;
};

// The sender's whole current set of linked peers (an established connection each), sorted and
// without duplicates; each message replaces the one before.
struct LinksMessage {
  std::vector<PublicKey> peers;
  bool operator==(const LinksMessage&) const = default;
};

using Message =
    std::variant<HeightsMessage, OperationsMessage, LivenessMessage, GoodbyeMessage, LinksMessage>;

void encode_heights(const std::vector<LogHeight>& entries, Bytes& out);
// Encodes borrowed operations without copying them first.
void encode_operations(const std::vector<const Operation*>& operations, bool more, Bytes& out);
void encode_liveness(const std::vector<LivenessEntry>& entries, Bytes& out);
void encode_goodbye(const GoodbyeMessage& goodbye, Bytes& out);
void encode_links(const std::vector<PublicKey>& peers, Bytes& out);
void encode_message(const Message& message, Bytes& out);

Result<Message, WireFailure> decode_message(ByteView bytes);

const char* to_string(GoodbyeReason reason);
const char* to_string(MessageType type);

}  // namespace mesh::engine
