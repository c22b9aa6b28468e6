// MeshPeer objects and their Kubernetes Events: how this zone reports every peer it knows.
//
// One MeshPeer per peer (name = lowercase hex public key, as in the seed), in the configured
// namespace: spec.identity {publicKey, endpoints}, status {status: Ready|NotReady|Unknown|
// Unavailable, updateTime, instance {zone, start_time, start_timestamp}, conditions}. The
// conditions are the standard pair Ready and Available, each with status True/False/Unknown,
// a reason, a message, lastTransitionTime (moves only when that condition's status changes)
// and observedGeneration. Every state change also creates a core/v1 Event (reason
// PeerStateChange; Normal for Ready, Warning otherwise).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/identity.h"
#include "engine/kube.h"
#include "engine/membership.h"
#include "engine/time.h"

namespace mesh::engine {

struct MeshPeerView {
  PublicKey key;
  std::string zone;
  std::vector<std::string> endpoints;
  std::uint64_t incarnation = 0;  // start time of the peer's log, ms since the Unix epoch
  PeerState state = PeerState::unknown;
};

// Formats Unix milliseconds as RFC 3339 UTC with millisecond precision.
std::string rfc3339(WallTime time);

// Builds the writes for MeshPeer objects and Events; remembers per peer the condition
// transition times and the generation the API server reported.
class MeshPeerWriter {
 public:
  MeshPeerWriter(std::string namespace_name, std::string reporting_instance);

  // The requests for a peer whose state (or identity) changed, in order: spec apply, status
  // apply, Event create (only when the state changed). Ids are assigned by the caller.
  std::vector<KubeRequest> update(WallTime now, const MeshPeerView& peer, bool state_changed);
  // The API server's answer to a spec apply: remember metadata.generation.
  void handle_applied(const Json& object);

 private:
  struct Tracked {
    PeerState state = PeerState::unknown;
    std::string ready_status;
    std::string available_status;
    WallTime ready_since;
    WallTime available_since;
    std::int64_t generation = 1;
  };
  Json conditions(const Tracked& tracked, const MeshPeerView& peer) const;

  std::string namespace_name_;
  std::string reporting_instance_;
  std::map<PublicKey, Tracked> tracked_;
  std::uint64_t event_counter_ = 0;
};

}  // namespace mesh::engine
