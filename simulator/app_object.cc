#include "simulator/app_object.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "simulator/app_limits.h"

namespace mesh::simulator {

namespace {

using Json = ::mesh::engine::Json;
using DecodeError = Error<AppDecodeError>;
template <typename T>
using Decoded = Result<T, DecodeError>;

constexpr std::array<std::pair<GlobalState, std::string_view>, 7> state_names = {{
    {GlobalState::unknown, "Unknown"},
    {GlobalState::created, "New"},
    {GlobalState::placement, "Placement"},
    {GlobalState::operational, "Operational"},
    {GlobalState::relocation, "Relocation"},
    {GlobalState::failure, "Failure"},
    {GlobalState::ownership_transfer, "OwnershipTransfer"},
}};

constexpr std::array<std::pair<ConditionType, std::string_view>, 5> condition_names = {{
    {ConditionType::placement, "Placement"},
    {ConditionType::deployment, "Deployment"},
    {ConditionType::undeployment, "Undeployment"},
    {ConditionType::local, "Local"},
    {ConditionType::ownership_transfer, "OwnershipTransfer"},
}};

constexpr std::array<std::pair<PlacementStrategy, std::string_view>, 2> strategy_names = {{
    {PlacementStrategy::local, "Local"},
    {PlacementStrategy::global, "Global"},
}};

// Looks a wire name up in one of the tables above; nullopt for any other string, "" included,
// as the Go unmarshallers do.
template <typename Enum, std::size_t count>
std::optional<Enum> enum_from_name(
    const std::array<std::pair<Enum, std::string_view>, count>& table, std::string_view name) {
  for (const auto& [value, value_name] : table) {
    if (value_name == name) return value;
  }
  return std::nullopt;
}

template <typename Enum, std::size_t count>
std::string_view enum_name(const std::array<std::pair<Enum, std::string_view>, count>& table,
                           Enum value) {
  for (const auto& [entry, entry_name] : table) {
    if (entry == value) return entry_name;
  }
  return "";
}

Unexpected<DecodeError> fail_type(const std::string& path, std::string_view expected) {
  return fail(AppDecodeError::wrong_type, path + ": expected " + std::string(expected));
}

// The member `key` of an object, or null when it is absent or JSON null (the Go zero value).
const Json* member(const Json& object, const char* key) {
  MESH_ASSERT(object.is_object());
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return nullptr;
  return &*found;
}

Decoded<std::string> read_string(const Json& object, const char* key, const std::string& path) {
  const Json* value = member(object, key);
  if (value == nullptr) return std::string();
  if (!value->is_string()) return fail_type(path + "." + key, "a string");
  return value->get<std::string>();
}

// Go's decoder refuses fractions and values outside int64 for an int64 field.
Decoded<std::int64_t> read_int(const Json& object, const char* key, const std::string& path) {
  const Json* value = member(object, key);
  if (value == nullptr) return std::int64_t{0};
  if (value->is_number_unsigned()) {
    const auto unsigned_value = value->get<std::uint64_t>();
    if (unsigned_value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return fail_type(path + "." + key, "an int64");
    }
    return static_cast<std::int64_t>(unsigned_value);
  }
  if (!value->is_number_integer()) return fail_type(path + "." + key, "an integer");
  return value->get<std::int64_t>();
}

// An object member; null when absent.
Decoded<const Json*> read_object(const Json& object, const char* key, const std::string& path) {
  const Json* value = member(object, key);
  if (value != nullptr && !value->is_object()) return fail_type(path + "." + key, "an object");
  return value;
}

// An array member of at most `count_max` items; null when absent.
Decoded<const Json*> read_array(const Json& object, const char* key, const std::string& path,
                                std::size_t count_max) {
  const Json* value = member(object, key);
  if (value == nullptr) return value;
  if (!value->is_array()) return fail_type(path + "." + key, "an array");
  if (value->size() > count_max) {
    return fail(AppDecodeError::too_many_items,
                path + "." + key + ": more than " + std::to_string(count_max) + " items");
  }
  return value;
}

Decoded<std::vector<std::string>> read_strings(const Json& object, const char* key,
                                               const std::string& path, std::size_t count_max) {
  MESH_TRY(const Json* array, read_array(object, key, path, count_max));
  std::vector<std::string> strings;
  if (array == nullptr) return strings;
  strings.reserve(array->size());
  for (const Json& item : *array) {
    if (!item.is_string()) return fail_type(path + "." + key + "[]", "a string");
    strings.push_back(item.get<std::string>());
  }
  return strings;
}

// A strict enum member: absent or null is `zero`; any string outside `table` fails.
template <typename Enum, std::size_t count>
Decoded<Enum> read_enum(const Json& object, const char* key, const std::string& path,
                        const std::array<std::pair<Enum, std::string_view>, count>& table,
                        Enum zero) {
  const Json* value = member(object, key);
  if (value == nullptr) return zero;
  if (!value->is_string()) return fail_type(path + "." + key, "a string");
  const auto parsed = enum_from_name(table, value->get<std::string>());
  if (!parsed.has_value()) {
    return fail(AppDecodeError::unknown_enum,
                path + "." + key + ": unknown value \"" + value->get<std::string>() + "\"");
  }
  return *parsed;
}

Decoded<Condition> decode_condition(const Json& item, const std::string& path) {
  if (!item.is_object()) return fail_type(path, "an object");
  Condition condition;
  MESH_TRY(condition.type, read_enum(item, "type", path, condition_names, ConditionType::local));
  if (member(item, "type") == nullptr) {
    // The Go zero value "" of the type is itself refused by the unmarshaller when decoded, and
    // an absent type would make every lookup miss; treat both as an unknown type.
    return fail(AppDecodeError::unknown_enum, path + ".type: missing");
  }
  MESH_TRY(condition.zone_id, read_string(item, "zoneId", path));
  MESH_TRY(condition.status, read_string(item, "status", path));
  MESH_TRY(condition.last_transition_time, read_string(item, "lastTransitionTime", path));
  MESH_TRY(condition.reason, read_string(item, "reason", path));
  MESH_TRY(condition.msg, read_string(item, "msg", path));
  MESH_TRY(condition.retry_attempt, read_int(item, "retryAttempt", path));
  return condition;
}

Decoded<ZoneStatus> decode_zone(const Json& item, const std::string& path) {
  if (!item.is_object()) return fail_type(path, "an object");
  ZoneStatus zone;
  MESH_TRY(zone.zone_id, read_string(item, "zoneId", path));
  MESH_TRY(zone.version, read_int(item, "version", path));
  MESH_TRY(zone.chart_version, read_string(item, "chartVersion", path));
  MESH_TRY(const Json* conditions,
           read_array(item, "conditions", path, app_conditions_per_zone_max));
  if (conditions == nullptr) return zone;
  zone.conditions.reserve(conditions->size());
  for (std::size_t index = 0; index < conditions->size(); index++) {
    const std::string item_path = path + ".conditions[" + std::to_string(index) + "]";
    MESH_TRY(Condition condition, decode_condition((*conditions)[index], item_path));
    zone.conditions.push_back(std::move(condition));
  }
  return zone;
}

Decoded<Ownership> decode_ownership(const Json& ownership, const std::string& path) {
  Ownership decoded;
  MESH_TRY(decoded.owner, read_string(ownership, "owner", path));
  MESH_TRY(decoded.epoch, read_int(ownership, "epoch", path));
  MESH_TRY(decoded.state, read_enum(ownership, "state", path, state_names, GlobalState::none));
  if (member(ownership, "state") != nullptr && decoded.state == GlobalState::none) {
    return fail(AppDecodeError::unknown_enum, path + ".state: empty");
  }
  MESH_TRY(const Json* placements, read_array(ownership, "placements", path, app_placements_max));
  if (placements == nullptr) return decoded;
  for (std::size_t index = 0; index < placements->size(); index++) {
    const std::string item_path = path + ".placements[" + std::to_string(index) + "]";
    const Json& item = (*placements)[index];
    if (!item.is_object()) return fail_type(item_path, "an object");
    Placement placement;
    MESH_TRY(placement.zone, read_string(item, "zone", item_path));
    MESH_TRY(placement.node_affinity,
             read_strings(item, "nodeAffinity", item_path, app_node_affinity_max));
    decoded.placements.push_back(std::move(placement));
  }
  return decoded;
}

Decoded<AppStatus> decode_status(const Json& object) {
  AppStatus status;
  MESH_TRY(const Json* body, read_object(object, "status", ""));
  if (body == nullptr) return status;
  MESH_TRY(const Json* ownership, read_object(*body, "ownership", ".status"));
  if (ownership != nullptr) {
    MESH_TRY(status.ownership, decode_ownership(*ownership, ".status.ownership"));
  }
  MESH_TRY(const Json* zones, read_array(*body, "zones", ".status", app_zones_max));
  if (zones == nullptr) return status;
  status.zones.reserve(zones->size());
  for (std::size_t index = 0; index < zones->size(); index++) {
    const std::string path = ".status.zones[" + std::to_string(index) + "]";
    MESH_TRY(ZoneStatus zone, decode_zone((*zones)[index], path));
    status.zones.push_back(std::move(zone));
  }
  return status;
}

// The spec fields the controller reads, plus `zones`, whose type its decoder also checks.
Decoded<AppSpec> decode_spec(const Json& object) {
  AppSpec spec;
  MESH_TRY(const Json* body, read_object(object, "spec", ""));
  if (body == nullptr) return spec;
  MESH_TRY(const std::int64_t zones, read_int(*body, "zones", ".spec"));
  static_cast<void>(zones);  // never read by the controller (§2)
  MESH_TRY(const Json* source, read_object(*body, "source", ".spec"));
  if (source != nullptr) {
    MESH_TRY(const Json* helm, read_object(*source, "helm", ".spec.source"));
    if (helm != nullptr) {
      spec.helm_present = true;
      MESH_TRY(spec.helm_repository, read_string(*helm, "repository", ".spec.source.helm"));
      MESH_TRY(spec.helm_chart, read_string(*helm, "chart", ".spec.source.helm"));
      MESH_TRY(spec.helm_version, read_string(*helm, "version", ".spec.source.helm"));
    }
  }
  MESH_TRY(const Json* placement, read_object(*body, "placementStrategy", ".spec"));
  if (placement != nullptr) {
    MESH_TRY(spec.strategy, read_enum(*placement, "strategy", ".spec.placementStrategy",
                                      strategy_names, PlacementStrategy::unset));
  }
  MESH_TRY(const Json* recover, read_object(*body, "recoverStrategy", ".spec"));
  if (recover != nullptr) {
    MESH_TRY(spec.tolerance, read_int(*recover, "tolerance", ".spec.recoverStrategy"));
    MESH_TRY(spec.max_retries, read_int(*recover, "maxRetries", ".spec.recoverStrategy"));
  }
  MESH_TRY(const Json* sync_policy, read_object(*body, "syncPolicy", ".spec"));
  if (sync_policy != nullptr) {
    MESH_TRY(spec.sync_options,
             read_strings(*sync_policy, "syncOptions", ".spec.syncPolicy", app_sync_options_max));
  }
  return spec;
}

Decoded<bool> decode_metadata(const Json& object, AppObject& app) {
  MESH_TRY(const Json* metadata, read_object(object, "metadata", ""));
  if (metadata == nullptr) return fail_type(".metadata", "an object");
  MESH_TRY(app.namespace_name, read_string(*metadata, "namespace", ".metadata"));
  MESH_TRY(app.name, read_string(*metadata, "name", ".metadata"));
  MESH_TRY(app.uid, read_string(*metadata, "uid", ".metadata"));
  MESH_TRY(app.resource_version, read_string(*metadata, "resourceVersion", ".metadata"));
  MESH_TRY(const std::string deletion, read_string(*metadata, "deletionTimestamp", ".metadata"));
  app.deleting = !deletion.empty();
  MESH_TRY(app.finalizers, read_strings(*metadata, "finalizers", ".metadata", app_finalizers_max));
  return true;
}

Json render_condition(const Condition& condition) {
  Json rendered = {
      {"type", std::string(condition_type_name(condition.type))},
      {"zoneId", condition.zone_id},
      {"status", condition.status},
  };
  // metav1.Time's zero value marshals as null.
  if (condition.last_transition_time.empty()) {
    rendered["lastTransitionTime"] = nullptr;
  } else {
    rendered["lastTransitionTime"] = condition.last_transition_time;
  }
  if (!condition.reason.empty()) rendered["reason"] = condition.reason;
  if (!condition.msg.empty()) rendered["msg"] = condition.msg;
  if (condition.retry_attempt != 0) rendered["retryAttempt"] = condition.retry_attempt;
  return rendered;
}

Json render_zone(const ZoneStatus& zone) {
  Json rendered = {{"zoneId", zone.zone_id}, {"version", zone.version}};
  if (!zone.chart_version.empty()) rendered["chartVersion"] = zone.chart_version;
  if (zone.conditions.empty()) return rendered;
  Json conditions = Json::array();
  for (const Condition& condition : zone.conditions) {
    conditions.push_back(render_condition(condition));
  }
  rendered["conditions"] = std::move(conditions);
  return rendered;
}

// One digit run of a Go duration: "1", "1.5", ".5"; advances `index`.
struct DurationNumber {
  std::int64_t whole = 0;
  std::int64_t fraction = 0;
  std::int64_t fraction_scale = 1;
  bool any_digit = false;
};

constexpr std::int64_t duration_whole_max = std::int64_t{1} << 40;
constexpr std::int64_t fraction_scale_max = 1'000'000'000'000;

DurationNumber read_duration_number(std::string_view text, std::size_t& index) {
  DurationNumber number;
  while (index < text.size() && text[index] >= '0' && text[index] <= '9') {
    number.any_digit = true;
    if (number.whole < duration_whole_max) number.whole = number.whole * 10 + (text[index] - '0');
    index++;
  }
  if (index < text.size() && text[index] == '.') {
    index++;
    while (index < text.size() && text[index] >= '0' && text[index] <= '9') {
      number.any_digit = true;
      if (number.fraction_scale < fraction_scale_max) {
        number.fraction = number.fraction * 10 + (text[index] - '0');
        number.fraction_scale *= 10;
      }
      index++;
    }
  }
  return number;
}

std::optional<std::int64_t> unit_ns(std::string_view unit) {
  constexpr std::array<std::pair<std::string_view, std::int64_t>, 8> units = {{
      {"ns", 1},
      {"us", 1'000},
      {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
      {"\xCE\xBCs", 1'000},  // U+03BC Greek mu
      {"ms", 1'000'000},
      {"s", 1'000'000'000},
      {"m", 60'000'000'000},
      {"h", 3'600'000'000'000},
  }};
  for (const auto& [name, ns] : units) {
    if (name == unit) return ns;
  }
  return std::nullopt;
}

}  // namespace

std::string_view global_state_name(GlobalState state) {
  return enum_name(state_names, state);
}

std::string_view condition_type_name(ConditionType type) {
  return enum_name(condition_names, type);
}

std::string_view placement_strategy_name(PlacementStrategy strategy) {
  return enum_name(strategy_names, strategy);
}

AppDecodeResult decode_app(const engine::Json& object) {
  if (!object.is_object()) return fail_type("", "an object");
  AppObject app;
  MESH_TRY(const bool metadata_ok, decode_metadata(object, app));
  MESH_ASSERT(metadata_ok);
  MESH_TRY(app.spec, decode_spec(object));
  MESH_TRY(app.status, decode_status(object));
  return app;
}

engine::Json render_status(const AppStatus& status) {
  const Ownership& ownership = status.ownership;
  Json rendered_ownership = {{"owner", ownership.owner}, {"epoch", ownership.epoch}};
  // A zero state is left out rather than written as "", which the decoder would then refuse.
  if (ownership.state != GlobalState::none) {
    rendered_ownership["state"] = std::string(global_state_name(ownership.state));
  }
  if (!ownership.placements.empty()) {
    Json placements = Json::array();
    for (const Placement& placement : ownership.placements) {
      Json item = {{"zone", placement.zone}};
      if (!placement.node_affinity.empty()) item["nodeAffinity"] = placement.node_affinity;
      placements.push_back(std::move(item));
    }
    rendered_ownership["placements"] = std::move(placements);
  }
  Json rendered = {{"ownership", std::move(rendered_ownership)}};
  if (status.zones.empty()) return rendered;
  Json zones = Json::array();
  for (const ZoneStatus& zone : status.zones) zones.push_back(render_zone(zone));
  rendered["zones"] = std::move(zones);
  return rendered;
}

const ZoneStatus* find_zone(const AppStatus& status, std::string_view zone) {
  for (const ZoneStatus& entry : status.zones) {
    if (entry.zone_id == zone) return &entry;
  }
  return nullptr;
}

ZoneStatus* find_zone(AppStatus& status, std::string_view zone) {
  for (ZoneStatus& entry : status.zones) {
    if (entry.zone_id == zone) return &entry;
  }
  return nullptr;
}

ZoneStatus& zone_entry(AppStatus& status, std::string_view zone) {
  ZoneStatus* found = find_zone(status, zone);
  if (found != nullptr) return *found;
  status.zones.push_back(ZoneStatus{.zone_id = std::string(zone)});
  return status.zones.back();
}

const Condition* find_condition(const ZoneStatus& entry, ConditionType type) {
  for (const Condition& condition : entry.conditions) {
    if (condition.type == type && condition.zone_id == entry.zone_id) return &condition;
  }
  return nullptr;
}

bool in_placements(const AppStatus& status, std::string_view zone) {
  const auto& placements = status.ownership.placements;
  return std::any_of(placements.begin(), placements.end(),
                     [zone](const Placement& placement) { return placement.zone == zone; });
}

bool has_finalizer(const AppObject& object, std::string_view finalizer) {
  return std::find(object.finalizers.begin(), object.finalizers.end(), finalizer) !=
         object.finalizers.end();
}

std::int64_t parse_resource_version(std::string_view resource_version) {
  constexpr std::int64_t value_max = std::numeric_limits<std::int64_t>::max();
  if (resource_version.empty()) return 0;
  std::int64_t value = 0;
  for (const char digit : resource_version) {
    if (digit < '0' || digit > '9') return 0;
    if (value > (value_max - (digit - '0')) / 10) return 0;
    value = value * 10 + (digit - '0');
  }
  return value;
}

Result<Duration, Error<DurationParseError>> parse_go_duration(std::string_view text) {
  if (text == "0") return Duration::zero();
  if (text.empty() || text.front() == '-') {
    return fail(DurationParseError::malformed, "not a non-negative duration");
  }
  std::size_t index = text.front() == '+' ? 1 : 0;
  if (index == text.size()) return fail(DurationParseError::malformed, "no number");
  std::int64_t total_ns = 0;
  while (index < text.size()) {
    const DurationNumber number = read_duration_number(text, index);
    if (!number.any_digit) return fail(DurationParseError::malformed, "missing number");
    const std::size_t unit_start = index;
    while (index < text.size() && (text[index] < '0' || text[index] > '9') && text[index] != '.') {
      index++;
    }
    const auto scale = unit_ns(text.substr(unit_start, index - unit_start));
    if (!scale.has_value()) return fail(DurationParseError::malformed, "unknown unit");
    if (number.whole >= duration_whole_max || number.whole > Duration::max().ns() / *scale) {
      return fail(DurationParseError::out_of_range, "duration out of range");
    }
    // Sub-unit precision only matters to the nanosecond; a double keeps fraction * scale from
    // overflowing and is deterministic (IEEE 754).
    const auto fraction_ns = static_cast<std::int64_t>(static_cast<double>(number.fraction) /
                                                       static_cast<double>(number.fraction_scale) *
                                                       static_cast<double>(*scale));
    const std::int64_t part_ns = number.whole * *scale + fraction_ns;
    if (total_ns > Duration::max().ns() - part_ns) {
      return fail(DurationParseError::out_of_range, "duration out of range");
    }
    total_ns += part_ns;
  }
  return Duration::from_ns(total_ns);
}

std::optional<Duration> sync_timeout(const AppSpec& spec) {
  constexpr std::string_view prefix = "syncTimeout=";
  for (const std::string& option : spec.sync_options) {
    if (option.compare(0, prefix.size(), prefix) != 0) continue;
    const auto parsed = parse_go_duration(std::string_view(option).substr(prefix.size()));
    // GetSyncTimeout falls back to the default timeout when the value does not parse.
    if (parsed.ok()) return parsed.value();
  }
  return std::nullopt;
}

}  // namespace mesh::simulator
