#include "engine/config.h"

#include "engine/assert.h"
#include "engine/limits.h"

namespace mesh::engine {

namespace {

Unexpected<ConfigFailure> invalid(const std::string& message) {
  return fail(ConfigError::invalid, message);
}

}  // namespace

const char* relay_mode_name(RelayMode mode) {
  switch (mode) {
    case RelayMode::all: return "all";
    case RelayMode::sparse: return "sparse";
  }
  MESH_UNREACHABLE();
}

std::optional<RelayMode> relay_mode_from_name(std::string_view name) {
  for (const RelayMode mode : {RelayMode::all, RelayMode::sparse}) {
    if (name == relay_mode_name(mode)) return mode;
  }
  return std::nullopt;
}

Result<void, ConfigFailure> Config::validate() const {
  if (zone.empty() || zone.size() > zone_size_max) {
    return invalid("zone: must be 1 to " + std::to_string(zone_size_max) + " characters");
  }
  if (network_id.empty()) return invalid("network_id: must not be empty");
  if (!noise::cipher_available(cipher)) {
    return invalid("cipher: " + std::string(noise::cipher_name(cipher)) +
                   " needs a CPU with AES-NI and PCLMUL, which this one lacks; use chachapoly");
  }
  if (advertised_endpoints.size() > endpoints_per_peer_max) {
    return invalid("advertised_endpoints: at most " + std::to_string(endpoints_per_peer_max));
  }
  for (const std::string& endpoint : advertised_endpoints) {
    if (endpoint.empty() || endpoint.size() > endpoint_size_max) {
      return invalid("advertised_endpoints: '" + endpoint + "' is empty or too long");
    }
  }
  if (heartbeat_interval <= Duration::zero()) return invalid("heartbeat_interval: must be > 0");
  if (peer_suspect_after < heartbeat_interval * 2) {
    return invalid("peer_suspect_after: must be at least two heartbeat intervals");
  }
  if (peer_unavailable_after <= peer_suspect_after) {
    return invalid("peer_unavailable_after: must exceed peer_suspect_after");
  }
  if (link_idle_timeout < heartbeat_interval * 2) {
    return invalid("link_idle_timeout: must be at least two heartbeat intervals");
  }
  if (handshake_timeout <= Duration::zero()) return invalid("handshake_timeout: must be > 0");
  if (resync_interval <= Duration::zero()) return invalid("resync_interval: must be > 0");
  if (dial_backoff_min <= Duration::zero() || dial_backoff_max < dial_backoff_min) {
    return invalid("dial_backoff: need 0 < dial_backoff_min <= dial_backoff_max");
  }
  if (connections_target == 0 || connections_target > connections_max / 2) {
    return invalid("connections_target: must be 1 to " + std::to_string(connections_max / 2));
  }
  if (connections_inbound_max > connections_max / 2) {
    return invalid("connections_inbound_max: at most " + std::to_string(connections_max / 2));
  }
  if (snapshot_interval <= Duration::zero() || snapshot_max_log == 0) {
    return invalid("snapshot: interval and max_log must be > 0");
  }
  if (sync_batch_operations_max == 0 ||
      sync_batch_operations_max > ::mesh::engine::sync_batch_operations_max) {
    return invalid("sync_batch_operations_max: must be 1 to " +
                   std::to_string(::mesh::engine::sync_batch_operations_max));
  }
  if (sync_batch_size_max == 0 || sync_batch_size_max > ::mesh::engine::sync_batch_size_max) {
    return invalid("sync_batch_size_max: must be 1 to " +
                   std::to_string(::mesh::engine::sync_batch_size_max));
  }
  for (const ResourceKind& resource : resources) {
    if (resource.version.empty() || resource.kind.empty()) {
      return invalid("resources: version and kind are required");
    }
    if (resource.strategy == StrategyKind::anyapplication && resource.kind != "AnyApplication") {
      return invalid("resources: the anyapplication strategy needs kind AnyApplication");
    }
  }
  if (tombstone_retention <= Duration::zero()) return invalid("tombstone_retention: must be > 0");
  if (status_write_delay < Duration::zero() ||
      status_write_delay > Duration::from_ms(status_write_delay_ms_max)) {
    return invalid("status_write_delay: must be 0 to " +
                   std::to_string(status_write_delay_ms_max) + " ms");
  }
  if (publish_delay < Duration::zero() || publish_delay > Duration::from_ms(publish_delay_ms_max)) {
    return invalid("publish_delay: must be 0 to " + std::to_string(publish_delay_ms_max) + " ms");
  }
  if (write_meshpeers && meshpeer_namespace.empty()) {
    return invalid("meshpeer_namespace: must be set when writing MeshPeers");
  }
  if (admission == Admission::restricted && trusted_peers.empty()) {
    return invalid("admission restricted: trusted_peers must list at least one peer");
  }
  return {};
}

}  // namespace mesh::engine
