// Hard caps of the engine. Config values (engine/config.h) are validated against these.
//
// Every queue, map, buffer and decoder has a named maximum here, with what happens when it is
// reached. Related limits are tied together with static_asserts so that, e.g., a maximal
// operation always fits in a message.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mesh::engine {

// --- session ---
// Noise §3: a transport message is at most 65535 bytes; our frame is a 4-byte length prefix
// plus one Noise message. A larger length prefix closes the connection (malformed).
inline constexpr std::size_t frame_size_max = 65535;
inline constexpr std::size_t frame_tag_size = 16;
// One flag byte per frame marks whether more chunks of the same message follow.
inline constexpr std::size_t frame_payload_size_max = frame_size_max - frame_tag_size - 1;
// A reassembled message larger than this closes the connection (protocol violation).
inline constexpr std::size_t message_size_max = 16 * 1024 * 1024;
// Outbound bytes queued for one connection beyond this: the session stops taking new pushes
// for that peer (they are repaired later by sync) instead of growing without bound.
inline constexpr std::size_t session_send_buffer_size_max = 32 * 1024 * 1024;
// The plaintext preamble before Noise: magic, version, network-id digest.
inline constexpr std::size_t preamble_size = 8 + 2 + 32;

// --- operations and logs ---
// An operation's payload (one Kubernetes object, or a snapshot's live list) beyond this is
// refused at authoring time (error value) and dropped on receipt (counted). etcd's default
// request limit is 1.5 MiB, so every object the API server accepts fits.
inline constexpr std::size_t operation_payload_size_max = 4 * 1024 * 1024;
inline constexpr std::size_t operation_header_size_max = 512;
static_assert(operation_payload_size_max + operation_header_size_max + 64 <= message_size_max);
// Out-of-order operations parked per log while a gap is open. Beyond this the highest parked
// sequence number is dropped (counted); sync delivers it again once the gap closes.
inline constexpr std::size_t parked_operations_per_log_max = 1024;
// Live entries (distinct keys) one author's snapshot may list. Beyond this authoring fails:
// the author has more objects than one log can describe.
inline constexpr std::size_t snapshot_entries_max = 100'000;
// Logs (author, incarnation) kept per author: the newest ones; an older one is dropped when a
// newer one arrives beyond this.
inline constexpr std::size_t incarnations_per_author_max = 2;
// A node that finds an incarnation of its own at least as new as its current one moves to
// above + 1 + a random step below this (incarnations are wall-clock ms at start, so about a
// minute): two amnesiac runs that saw the same older incarnation rarely pick the same one.
inline constexpr std::uint64_t incarnation_move_spread_max = 65'536;

// --- sync ---
// One batch of operations sent in reply to a Heights message; the receiver asks again for
// the rest. At least one operation is always sent, whatever its size.
inline constexpr std::size_t sync_batch_operations_max = 512;
inline constexpr std::size_t sync_batch_size_max = 1024 * 1024;
static_assert(sync_batch_size_max < message_size_max);

// --- membership ---
// Peers (distinct public keys) a node tracks. Records beyond this are ignored (counted); the
// 1000-zone simulation stays well inside.
inline constexpr std::size_t peers_max = 4096;
// Zones of authors a node replicates from without tracking them as peers (membership was
// full). Beyond this the operations of further such authors wait for a membership slot
// (counted in operations_unbound), as their records are ignored too.
inline constexpr std::size_t author_zones_max = peers_max;
// Log entries in one Heights or Liveness message: two incarnations per peer.
inline constexpr std::size_t heights_entries_max = peers_max * incarnations_per_author_max;
// The largest peer number (ref) this version sends in a LivenessRefs message: ourselves 0,
// then one per tracked peer. A larger one received (a later version with room for more peers)
// is skipped, like a key that full membership cannot track: it bounds the per-connection
// tables (engine/node.h) at liveness_ref_max + 1 entries.
inline constexpr std::size_t liveness_ref_max = peers_max;
// Entries in one LivenessRefs message (ours name each ref at most once). More is malformed:
// the connection closes, so this changes only with the wire format.
inline constexpr std::size_t liveness_refs_entries_max = liveness_ref_max + 1;
inline constexpr std::size_t endpoints_per_peer_max = 16;
inline constexpr std::size_t endpoint_size_max = 262;  // "[" 253-char DNS name "]:65535"
inline constexpr std::size_t zone_size_max = 63;       // a DNS label
// Connections (any state) at once; inbound connections beyond this are refused at accept.
inline constexpr std::size_t connections_max = 1024;
// Peers in one Links message: a node never holds more established connections than this. A
// longer message is malformed (the connection closes).
inline constexpr std::size_t links_entries_max = connections_max;

// --- replication ---
// Parsed payloads a PayloadCache holds (engine/payload_cache.h): beyond either bound it forgets
// its oldest entries, which only costs parsing those payloads again. A parsed tree takes several
// times its text (nlohmann nodes), so 64 MiB of payload text is a few hundred MiB of trees.
inline constexpr std::size_t payload_cache_entries_max = 16'384;
inline constexpr std::size_t payload_cache_payload_size_max = std::size_t{64} << 20;
static_assert(payload_cache_payload_size_max >= operation_payload_size_max);
// The longest a status write may wait to gather other zones' entries (Config::
// status_write_delay): past a second, the delay is the convergence time, not a batching aid.
inline constexpr std::int64_t status_write_delay_ms_max = 1'000;
// The longest a local change may wait to be published with the ones after it (Config::
// publish_delay): the same reasoning, for the first hop.
inline constexpr std::int64_t publish_delay_ms_max = 1'000;

}  // namespace mesh::engine
