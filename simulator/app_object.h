// AnyApplication (dcp.hiro.io/v1) as the real controller's Go types see it (reference §2).
//
// decode_app() reads an object like the controller's unmarshallers: absent or null fields are
// zero values; a wrong JSON type, or a `state`, `strategy` or condition `type` outside the Go
// enums (a present "" included), is an error. render_status() writes a status back as the typed
// client would: the whole status, unknown fields dropped, omitempty fields omitted. Pure
// functions: no I/O, no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"

#include "engine/result.h"
#include "engine/time.h"

namespace mesh::simulator {

// status.ownership.state (api/v1/global_state.go). `none` is the Go zero value "": the field is
// absent. `created` is "New".
enum class GlobalState : std::uint8_t {
  none,
  unknown,
  created,
  placement,
  operational,
  relocation,
  failure,
  ownership_transfer,
};

// spec.placementStrategy.strategy; `unset` (absent) behaves as Global.
enum class PlacementStrategy : std::uint8_t { unset, local, global };

// status.zones[].conditions[].type (api/v1/application_condition_type.go).
enum class ConditionType : std::uint8_t {
  placement,
  deployment,
  undeployment,
  local,
  ownership_transfer,
};

// "New", "Placement", ...; "" for none.
std::string_view global_state_name(GlobalState state);
std::string_view condition_type_name(ConditionType type);
std::string_view placement_strategy_name(PlacementStrategy strategy);

struct Condition {
  ConditionType type = ConditionType::local;
  std::string zone_id;               // always the zone of the entry holding it
  std::string status;                // free string: "Done", "Pull", "Healthy", ...
  std::string last_transition_time;  // RFC 3339 as stored; "" when absent
  std::string reason;
  std::string msg;
  std::int64_t retry_attempt = 0;  // never written by the controller
};

struct ZoneStatus {
  std::string zone_id;
  std::int64_t version = 0;   // see bump_zone_version(); only zone_id's controller writes it
  std::string chart_version;  // the concrete chart version this zone adopted; "" when absent
  std::vector<Condition> conditions;
};

struct Placement {
  std::string zone;
  std::vector<std::string> node_affinity;  // carried through, never read
};

struct Ownership {
  std::string owner;  // "" until claimed
  std::int64_t epoch = 0;
  GlobalState state = GlobalState::none;
  // Empty means absent: omitempty drops an empty list when the controller writes it (§4).
  std::vector<Placement> placements;
};

struct AppStatus {
  Ownership ownership;
  std::vector<ZoneStatus> zones;
};

struct AppSpec {
  bool helm_present = false;  // spec.source.helm is an object
  std::string helm_repository;
  std::string helm_chart;
  std::string helm_version;  // an exact version or a constraint such as "~2.0"
  PlacementStrategy strategy = PlacementStrategy::unset;
  std::int64_t tolerance = 0;
  std::int64_t max_retries = 0;
  std::vector<std::string> sync_options;  // spec.syncPolicy.syncOptions
};

struct AppObject {
  std::string namespace_name;
  std::string name;
  std::string uid;
  std::string resource_version;
  bool deleting = false;  // metadata.deletionTimestamp is set
  std::vector<std::string> finalizers;
  AppSpec spec;
  AppStatus status;
};

enum class AppDecodeError : std::uint8_t { wrong_type, unknown_enum, too_many_items };

using AppDecodeResult = Result<AppObject, Error<AppDecodeError>>;

// Strict decoding; the error message names the field (".status.ownership.state").
AppDecodeResult decode_app(const engine::Json& object);

// The status as the controller's typed client serializes it for PUT /status.
engine::Json render_status(const AppStatus& status);

// The entry of `zone`, or null.
const ZoneStatus* find_zone(const AppStatus& status, std::string_view zone);
ZoneStatus* find_zone(AppStatus& status, std::string_view zone);
// GetOrCreateStatusFor: the entry of `zone`, appended empty when missing.
ZoneStatus& zone_entry(AppStatus& status, std::string_view zone);
// The condition of `type` whose zoneId is the entry's zone (getCondition), or null.
const Condition* find_condition(const ZoneStatus& entry, ConditionType type);
bool in_placements(const AppStatus& status, std::string_view zone);
bool has_finalizer(const AppObject& object, std::string_view finalizer);

// metadata.resourceVersion as an integer; 0 when it is not one (IncrementZoneVersion).
std::int64_t parse_resource_version(std::string_view resource_version);

enum class DurationParseError : std::uint8_t { malformed, out_of_range };

// A Go time.ParseDuration string ("90s", "1m30s", "1.5h", "250ms"); negative values refused.
Result<Duration, Error<DurationParseError>> parse_go_duration(std::string_view text);
// The `syncTimeout=<duration>` entry of spec.syncPolicy.syncOptions, if present and valid.
std::optional<Duration> sync_timeout(const AppSpec& spec);

}  // namespace mesh::simulator
