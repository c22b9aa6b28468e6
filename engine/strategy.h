// Merge strategies: which parts of an object a zone owns, and how a Kubernetes object is cut
// into parts and put together again.
//
// anyapplication: the owner zone (status.ownership.owner) owns the "owner part" (spec, labels,
//   annotations, status.ownership); every zone owns its own status.zones[] entry (a "zone
//   part"). Ownership can move by epoch (takeover).
// default_owner_label: the zone named by the dcp.hiro.io/owner-zone label (the creating zone
//   when unlabeled) owns the whole object; no zone parts, no takeover.
//
// Strategies are pure functions of JSON; the merge itself (engine/replication.h) is shared.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/kube.h"

namespace mesh::engine {

// Labels and annotations the mesh writes; never part of replicated content.
inline constexpr const char* owner_zone_label = "dcp.hiro.io/owner-zone";
inline constexpr const char* generation_annotation = "dcp.hiro.io/mesh-generation";

// Zone entries by zone id, borrowed from the object or the replicated parts they were read
// from (never null; valid while those are not changed): reading an object's entries runs on
// every input that touches it, and copying each entry there was 2 % of the simulator's work.
using ZoneEntries = std::map<std::string, const Json*>;

class Strategy {
 public:
  virtual ~Strategy() = default;

  // The zone the local object says owns it ("" when nobody has claimed it yet).
  virtual std::string declared_owner(const Json& object, const std::string& local_zone) const = 0;
  // The ownership epoch the object declares (0 when the strategy has none).
  virtual std::int64_t declared_epoch(const Json& object) const = 0;
  // The owner part as the object has it (canonical: absent fields are absent).
  virtual Json owner_content(const Json& object) const = 0;
  // The owner zone and epoch inside owner content.
  virtual std::string content_owner(const Json& content) const = 0;
  virtual std::int64_t content_epoch(const Json& content) const = 0;
  // Content claimed by `zone` at `epoch` (takeover); unchanged when takeover is unsupported.
  virtual Json with_owner(const Json& content, const std::string& zone,
                          std::int64_t epoch) const = 0;
  virtual bool has_zone_parts() const = 0;
  // Zone entries in the object, by zone id (borrowed from `object`).
  virtual ZoneEntries zone_entries(const Json& object) const = 0;
  // Zones the owner content places the object in (takeover candidates first).
  virtual std::vector<std::string> placements(const Json& content) const = 0;

  // What to apply to the main resource and to the status subresource so the local object
  // holds `content` and `zones` (all entries, ours included). nullopt: nothing to write there.
  virtual Json main_body(const ResourceKind& kind, const std::string& namespace_name,
                         const std::string& name, const Json& content, std::uint64_t generation,
                         const std::string& owner_zone) const = 0;
  virtual std::optional<Json> status_body(const ResourceKind& kind,
                                          const std::string& namespace_name,
                                          const std::string& name, const Json& content,
                                          const ZoneEntries& zones) const = 0;

  // Whether `local` already holds what main_body(content, generation, owner_zone) writes: the
  // same answer as comparing that body with main_body of the object's own content, generation
  // and owner label (which this default does). Strategies may answer without building them.
  virtual bool main_matches(const ResourceKind& kind, const std::string& namespace_name,
                            const std::string& name, const Json& content,
                            std::uint64_t generation, const std::string& owner_zone,
                            const Json& local) const;
  // The same for the status subresource: `zones` holds the replicated entries, of which the
  // one of `own_zone` is replaced by the local object's own (our controller owns it). True
  // also when there is no status to write.
  virtual bool status_matches(const ResourceKind& kind, const std::string& namespace_name,
                              const std::string& name, const Json& content,
                              const ZoneEntries& zones, const std::string& own_zone,
                              const Json& local) const;
  // The status body for `content` and `zones` with our own entry taken from `local`, as
  // status_matches compares it.
  std::optional<Json> status_body_keeping_own(const ResourceKind& kind,
                                              const std::string& namespace_name,
                                              const std::string& name, const Json& content,
                                              ZoneEntries zones, const std::string& own_zone,
                                              const Json& local) const;
};

std::unique_ptr<Strategy> make_strategy(StrategyKind kind);

// The mesh generation annotation of a local object (0 when absent or malformed).
std::uint64_t declared_generation(const Json& object);

}  // namespace mesh::engine
