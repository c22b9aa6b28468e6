// The message codec of the mesh protocol (version 1), carried inside a session.
//
// Messages: Heights (what logs a node holds), Operations (a batch of signed operations, from
// sync or eager push), Liveness (heartbeat counters, relayed), Goodbye (why a connection
// closes), Links (the peers the sender holds an established connection with, so that its
// neighbours need not relay it what those peers push it themselves), Features (the optional
// wire features the sender understands), LivenessRefs (Liveness in a compact form that names
// each peer by a number, its key sent once per connection; only to a node that announced the
// feature). Layout: u8 wire version, u8 type, then the body in fixed-width little-endian fields
// (engine/internal/codec.h; docs/protocol.md says why not CBOR), LivenessRefs in varints. Every
// decoder checks lengths and counts against engine/limits.h and returns an error value on bad
// input. Decoding is stateless: resolving a LivenessRefs number to a key is the node's job.
#pragma once

#include <cstdint>
#include <optional>
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
  features = 6,       // added within wire version 1, as were the next ones
  liveness_refs = 7,  // sent only to a node whose Features announced it
};

// Bits of a Features message. A node announces what it understands right after the
// handshake; its peer uses a feature towards it only once announced, so a node that predates
// a feature (and skips the Features message as an unknown type) never receives it. Unknown
// bits are ignored.
namespace wire_feature {
inline constexpr std::uint64_t liveness_refs = 1;  // understands MessageType::liveness_refs
}

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

// A liveness entry that names its peer by the sender's number for it (Membership's refs: fixed
// for the life of the sender's process; this version sends at most liveness_ref_max and skips
// larger ones, which a later version with room for more peers may send). The first entry with
// a given ref on a connection carries the key; later ones on that connection carry only the
// ref. Connections are ordered and reliable, so the receiver always has the key by then.
struct LivenessRefEntry {
  std::uint32_t ref = 0;
  std::optional<PublicKey> key;  // set exactly on the ref's first entry on this connection
  std::uint64_t incarnation = 0;
  std::uint64_t heartbeat = 0;
  bool operator==(const LivenessRefEntry&) const = default;
};

struct LivenessRefsMessage {
  std::vector<LivenessRefEntry> entries;
  bool operator==(const LivenessRefsMessage&) const = default;
};

struct FeaturesMessage {
  std::uint64_t features = 0;  // wire_feature bits
  bool operator==(const FeaturesMessage&) const = default;
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

using Message = std::variant<HeightsMessage, OperationsMessage, LivenessMessage, GoodbyeMessage,
                             LinksMessage, FeaturesMessage, LivenessRefsMessage>;

void encode_heights(const std::vector<LogHeight>& entries, Bytes& out);
// Encodes borrowed operations without copying them first.
void encode_operations(const std::vector<const Operation*>& operations, bool more, Bytes& out);
void encode_liveness(const std::vector<LivenessEntry>& entries, Bytes& out);
void encode_goodbye(const GoodbyeMessage& goodbye, Bytes& out);
void encode_links(const std::vector<PublicKey>& peers, Bytes& out);
void encode_features(std::uint64_t features, Bytes& out);
void encode_liveness_refs(const std::vector<LivenessRefEntry>& entries, Bytes& out);
// The same form for one connection: entries[i] under ref refs[i], with its key where
// key_sent (indexed by ref; the connection's record of keys it has carried) says the
// receiver lacks it, which it then records.
void encode_liveness_refs(const std::vector<LivenessEntry>& entries,
                          const std::vector<std::uint32_t>& refs, std::vector<bool>& key_sent,
                          Bytes& out);
void encode_message(const Message& message, Bytes& out);

Result<Message, WireFailure> decode_message(ByteView bytes);
// Whether `bytes` is a Features or LivenessRefs message, by its version and type bytes alone:
// what a node that predates them sees of them (engine::Config::liveness_refs).
bool is_compact_liveness_message(ByteView bytes);

const char* to_string(GoodbyeReason reason);
const char* to_string(MessageType type);

}  // namespace mesh::engine
