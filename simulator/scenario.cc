#include "simulator/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace mesh::simulator {

namespace {

using Status = Result<void, ScenarioFailure>;

bool present(const YAML::Node& node) {
  return node.IsDefined() && !node.IsNull();
}

// Actions written as `ACTION: ZONE` and nothing else.
bool names_one_zone(ActionKind kind) {
  switch (kind) {
    case ActionKind::isolate:
    case ActionKind::crash:
    case ActionKind::pause:
    case ActionKind::resume:
    case ActionKind::watch_drop:
    case ActionKind::compact:
    case ActionKind::api_pause:
    case ActionKind::api_resume: return true;
    default: return false;
  }
}

// Reads one scenario tree; every error names file, line and key.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  Unexpected<ScenarioFailure> error(const YAML::Node& node, const std::string& key,
                                    const std::string& what) const {
    const std::string line =
        node.IsDefined() && !node.Mark().is_null() ? std::to_string(node.Mark().line + 1) : "?";
    return fail(ScenarioError::invalid, file_ + ":" + line + ": " + key + ": " + what);
  }
  Status known(const YAML::Node& map, const std::string& prefix,
               const std::set<std::string>& keys) const {
    if (!map.IsMap()) return error(map, prefix, "expected a mapping");
    for (const auto& entry : map) {
      const std::string name = entry.first.Scalar();
      if (keys.count(name) == 0) {
        return error(entry.first, prefix.empty() ? name : prefix + "." + name, "unknown key");
      }
    }
    return {};
  }
  // A key a mapping must have, reported at the mapping's line.
  Status required(const YAML::Node& parent, const char* name, const std::string& prefix) const {
    if (present(parent[name])) return {};
    return error(parent, prefix + "." + name, "required");
  }
  Result<std::string, ScenarioFailure> string(const YAML::Node& node,
                                              const std::string& key) const {
    // A missing key is an invalid node, on which yaml-cpp's type queries throw.
    if (!node.IsDefined()) return error(node, key, "required");
    if (!node.IsScalar()) return error(node, key, "expected a string");
    return node.Scalar();
  }
  Result<Duration, ScenarioFailure> duration(const YAML::Node& node, const std::string& key) const {
    if (!node.IsDefined()) return error(node, key, "required");
    if (!node.IsScalar()) return error(node, key, "expected a duration such as 250ms or 5s");
    auto parsed = parse_duration(node.Scalar());
    if (!parsed.ok()) return error(node, key, parsed.error());
    return parsed.value();
  }
  // A duration that may be negative ("-90m"): clock offsets and jumps.
  Result<Duration, ScenarioFailure> signed_duration(const YAML::Node& node,
                                                    const std::string& key) const {
    if (!node.IsDefined()) return error(node, key, "required");
    if (!node.IsScalar()) return error(node, key, "expected a duration such as -30s or 2h");
    const std::string text = node.Scalar();
    const bool negative = text.starts_with("-");
    auto parsed = parse_duration(negative ? text.substr(1) : text);
    if (!parsed.ok()) return error(node, key, parsed.error());
    return negative ? Duration::zero() - parsed.value() : parsed.value();
  }
  Result<std::int64_t, ScenarioFailure> integer(const YAML::Node& node, const std::string& key,
                                                std::int64_t min, std::int64_t max) const {
    if (!node.IsDefined()) return error(node, key, "required");
    std::int64_t value = 0;
    const std::string text = node.IsScalar() ? node.Scalar() : "";
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (!node.IsScalar() || ec != std::errc() || end != text.data() + text.size()) {
      return error(node, key, "expected an integer");
    }
    if (value < min || value > max) {
      return error(node, key,
                   "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return value;
  }
  Result<double, ScenarioFailure> number(const YAML::Node& node, const std::string& key, double min,
                                         double max) const {
    double value = 0;
    try {
      value = node.as<double>();
    } catch (const YAML::Exception&) {
      return error(node, key, "expected a number");
    }
    if (!(value >= min && value <= max)) {
      return error(node, key,
                   "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return value;
  }
  // An optional count under `parent`: `target` keeps its default when the key is absent.
  Status optional_count(const YAML::Node& parent, const char* name, const std::string& prefix,
                        std::int64_t min, std::int64_t max, std::size_t& target) const {
    if (!present(parent[name])) return {};
    MESH_TRY(const std::int64_t value, integer(parent[name], prefix + "." + name, min, max));
    MESH_ASSERT(value >= 0);
    target = static_cast<std::size_t>(value);
    return {};
  }
  // An optional number under `parent`, the same way.
  Status optional_number(const YAML::Node& parent, const char* name, const std::string& prefix,
                         double min, double max, double& target) const {
    if (!present(parent[name])) return {};
    MESH_TRY(target, number(parent[name], prefix + "." + name, min, max));
    return {};
  }
  Result<bool, ScenarioFailure> boolean(const YAML::Node& node, const std::string& key) const {
    if (!node.IsDefined()) return error(node, key, "required");
    if (node.IsScalar() && (node.Scalar() == "true" || node.Scalar() == "false")) {
      return node.Scalar() == "true";
    }
    return error(node, key, "expected true or false");
  }
  Result<std::vector<std::string>, ScenarioFailure> strings(const YAML::Node& node,
                                                            const std::string& key) const {
    if (!node.IsDefined()) return error(node, key, "required");
    if (!node.IsSequence()) return error(node, key, "expected a list");
    std::vector<std::string> out;
    for (const YAML::Node& item : node) {
      MESH_TRY(std::string value, string(item, key + "[]"));
      out.push_back(std::move(value));
    }
    return out;
  }

  Result<io_sim::LatencyModel, ScenarioFailure> latency(const YAML::Node& node,
                                                        const std::string& key) const;
  Status zones(const YAML::Node& node, Scenario& scenario) const;
  Status network(const YAML::Node& node, Scenario& scenario) const;
  Status engine(const YAML::Node& node, EngineSpec& engine) const;
  Status workload(const YAML::Node& node, RandomWorkload& random) const;
  Status checks(const YAML::Node& node, Checks& checks) const;
  Result<Action, ScenarioFailure> action(const YAML::Node& node, std::size_t index) const;
  Status action_body(const YAML::Node& body, const std::string& key, Action& action) const;
  Status restart_body(const YAML::Node& body, const std::string& key, Action& action) const;
  Status action_fields(const YAML::Node& body, const std::string& key, Action& action) const;
  Status action_timing(const YAML::Node& body, const std::string& key, Action& action) const;
  Status assertion(const YAML::Node& body, const std::string& key, Action& action) const;

 private:
  std::string file_;
};

Result<io_sim::LatencyModel, ScenarioFailure> Reader::latency(const YAML::Node& node,
                                                              const std::string& key) const {
  MESH_TRY_VOID(known(
      node, key,
      {"distribution", "value", "min", "max", "mean", "slow_probability", "slow_min", "slow_max"}));
  io_sim::LatencyModel model;
  const std::string distribution =
      present(node["distribution"]) ? node["distribution"].Scalar() : std::string("constant");
  const std::map<std::string, io_sim::LatencyModel::Kind> kinds = {
      {"constant", io_sim::LatencyModel::Kind::constant},
      {"uniform", io_sim::LatencyModel::Kind::uniform},
      {"exponential", io_sim::LatencyModel::Kind::exponential},
      {"bimodal", io_sim::LatencyModel::Kind::bimodal}};
  if (kinds.count(distribution) == 0) {
    return error(node["distribution"], key + ".distribution",
                 "expected constant, uniform, exponential or bimodal");
  }
  model.kind = kinds.at(distribution);
  struct Field {
    const char* name;
    Duration* target;
  };
  for (const Field& field :
       {Field{"value", &model.value}, Field{"min", &model.min}, Field{"max", &model.max},
        Field{"mean", &model.mean}, Field{"slow_min", &model.slow_min},
        Field{"slow_max", &model.slow_max}}) {
    if (present(node[field.name])) {
      MESH_TRY(*field.target, duration(node[field.name], key + "." + field.name));
    }
  }
  if (present(node["slow_probability"])) {
    MESH_TRY(model.slow_probability,
             number(node["slow_probability"], key + ".slow_probability", 0.0, 1.0));
  }
  if (const auto valid = model.validate(); !valid.ok()) return error(node, key, valid.error());
  return model;
}

bool valid_zone_name(const std::string& name) {
  return !name.empty() && name.size() <= 63 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) != 0 ||
           std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '-';
  });
}

Status Reader::zones(const YAML::Node& node, Scenario& scenario) const {
  if (node.IsScalar()) {
    MESH_TRY(const std::int64_t count, integer(node, "zones", 1, 2000));
    for (std::int64_t i = 1; i <= count; i++) {
      scenario.zones.push_back({.name = "zone" + std::to_string(i)});
    }
    return {};
  }
  if (!node.IsSequence()) return error(node, "zones", "expected a count or a list of zones");
  for (std::size_t index = 0; index < node.size(); index++) {
    const YAML::Node item = node[index];
    const std::string key = "zones[" + std::to_string(index) + "]";
    ZoneSpec zone;
    if (item.IsScalar()) {
      zone.name = item.Scalar();
    } else {
      MESH_TRY_VOID(known(item, key, {"name", "clock", "start_at", "liveness_refs"}));
      if (!present(item["name"])) return error(item, key + ".name", "required");
      MESH_TRY(zone.name, string(item["name"], key + ".name"));
      if (present(item["clock"])) {
        MESH_TRY_VOID(known(item["clock"], key + ".clock", {"offset", "drift_ppm"}));
        if (present(item["clock"]["offset"])) {
          MESH_TRY(zone.clock_offset,
                   signed_duration(item["clock"]["offset"], key + ".clock.offset"));
        }
        if (present(item["clock"]["drift_ppm"])) {
          MESH_TRY(zone.clock_drift_ppm,
                   integer(item["clock"]["drift_ppm"], key + ".clock.drift_ppm", -1000, 1000));
        }
      }
      if (present(item["start_at"])) {
        MESH_TRY(zone.start_at, duration(item["start_at"], key + ".start_at"));
      }
      if (present(item["liveness_refs"])) {
        MESH_TRY(zone.liveness_refs, boolean(item["liveness_refs"], key + ".liveness_refs"));
      }
    }
    if (!valid_zone_name(zone.name)) {
      return error(item, key, "zone names are lowercase letters, digits and '-', 1 to 63");
    }
    for (const ZoneSpec& other : scenario.zones) {
      if (other.name == zone.name) return error(item, key, "zone '" + zone.name + "' twice");
    }
    scenario.zones.push_back(std::move(zone));
  }
  return {};
}

Status Reader::network(const YAML::Node& node, Scenario& scenario) const {
  MESH_TRY_VOID(known(node, "network", {"latency", "links"}));
  if (present(node["latency"])) {
    MESH_TRY(scenario.latency, latency(node["latency"], "network.latency"));
  }
  if (!present(node["links"])) return {};
  if (!node["links"].IsSequence()) return error(node["links"], "network.links", "expected a list");
  for (std::size_t index = 0; index < node["links"].size(); index++) {
    const YAML::Node item = node["links"][index];
    const std::string key = "network.links[" + std::to_string(index) + "]";
    MESH_TRY_VOID(known(item, key, {"between", "latency", "bandwidth"}));
    MESH_TRY_VOID(required(item, "between", key));
    MESH_TRY(const auto between, strings(item["between"], key + ".between"));
    if (between.size() != 2 || between[0] == between[1]) {
      return error(item["between"], key + ".between", "two different zones");
    }
    for (const std::string& name : between) {
      const bool known_zone = std::any_of(scenario.zones.begin(), scenario.zones.end(),
                                          [&](const ZoneSpec& zone) { return zone.name == name; });
      if (!known_zone)
        return error(item["between"], key + ".between", "unknown zone '" + name + "'");
    }
    LinkSpec link{.a = between[0], .b = between[1]};
    if (present(item["latency"])) {
      MESH_TRY(link.latency, latency(item["latency"], key + ".latency"));
    }
    if (present(item["bandwidth"])) {
      MESH_TRY(const std::int64_t bandwidth,
               integer(item["bandwidth"], key + ".bandwidth", 1, INT64_MAX));
      link.bandwidth_bytes_per_second = static_cast<std::uint64_t>(bandwidth);
    }
    scenario.links.push_back(std::move(link));
  }
  return {};
}

Status Reader::engine(const YAML::Node& node, EngineSpec& engine) const {
  MESH_TRY_VOID(
      known(node, "engine",
            {"heartbeat_interval", "peer_suspect_after", "peer_unavailable_after",
             "link_idle_timeout", "resync_interval", "dial_backoff_max", "tombstone_retention",
             "connections_target", "snapshot_max_log", "snapshot_interval", "meshpeers",
             "checkpoint_interval", "cipher", "status_write_delay", "publish_delay", "relay"}));
  struct Field {
    const char* name;
    Duration* target;
  };
  for (const Field& field : {Field{"heartbeat_interval", &engine.heartbeat_interval},
                             Field{"peer_suspect_after", &engine.peer_suspect_after},
                             Field{"peer_unavailable_after", &engine.peer_unavailable_after},
                             Field{"link_idle_timeout", &engine.link_idle_timeout},
                             Field{"resync_interval", &engine.resync_interval},
                             Field{"dial_backoff_max", &engine.dial_backoff_max},
                             Field{"tombstone_retention", &engine.tombstone_retention},
                             Field{"snapshot_interval", &engine.snapshot_interval},
                             Field{"status_write_delay", &engine.status_write_delay},
                             Field{"publish_delay", &engine.publish_delay}}) {
    if (present(node[field.name])) {
      MESH_TRY(*field.target, duration(node[field.name], std::string("engine.") + field.name));
    }
  }
  MESH_TRY_VOID(
      optional_count(node, "connections_target", "engine", 1, 512, engine.connections_target));
  if (present(node["checkpoint_interval"])) {
    MESH_TRY(engine.checkpoint_interval,
             duration(node["checkpoint_interval"], "engine.checkpoint_interval"));
    if (engine.checkpoint_interval <= Duration::zero()) {
      return error(node["checkpoint_interval"], "engine.checkpoint_interval", "must be positive");
    }
  }
  if (present(node["meshpeers"])) {
    MESH_TRY(engine.meshpeers, boolean(node["meshpeers"], "engine.meshpeers"));
  }
  if (present(node["cipher"])) {
    MESH_TRY(const std::string name, string(node["cipher"], "engine.cipher"));
    const auto cipher = engine::noise::cipher_from_config_name(name);
    if (!cipher) return error(node["cipher"], "engine.cipher", "expected chachapoly or aesgcm");
    engine.cipher = *cipher;
  }
  if (present(node["relay"])) {
    MESH_TRY(const std::string name, string(node["relay"], "engine.relay"));
    const auto relay = engine::relay_mode_from_name(name);
    if (!relay) return error(node["relay"], "engine.relay", "expected all or sparse");
    engine.relay = *relay;
  }
  MESH_TRY_VOID(
      optional_count(node, "snapshot_max_log", "engine", 2, 1'000'000, engine.snapshot_max_log));
  // The relations between settings (suspect after two heartbeats, and so on) are the engine's.
  engine::Config probe;
  probe.zone = "zone1";
  probe.network_id = "scenario";
  apply_engine_spec(engine, probe);
  const auto valid = probe.validate();
  if (!valid.ok()) return error(node, "engine", valid.error().message);
  return {};
}

Status Reader::workload(const YAML::Node& node, RandomWorkload& random) const {
  MESH_TRY_VOID(known(node, "workload", {"random"}));
  if (!present(node["random"])) return {};
  const YAML::Node r = node["random"];
  MESH_TRY_VOID(known(r, "workload.random",
                      {"operations_per_second", "objects", "delete_fraction", "update_fraction",
                       "object_size", "stop_at"}));
  const std::string prefix = "workload.random";
  MESH_TRY_VOID(
      optional_number(r, "operations_per_second", prefix, 0, 1e4, random.operations_per_second));
  MESH_TRY_VOID(optional_count(r, "objects", prefix, 1, 100'000, random.objects));
  MESH_TRY_VOID(optional_number(r, "delete_fraction", prefix, 0, 1, random.delete_fraction));
  MESH_TRY_VOID(optional_number(r, "update_fraction", prefix, 0, 1, random.update_fraction));
  MESH_TRY_VOID(optional_count(r, "object_size", prefix, 0, 1'400'000, random.object_size_bytes));
  if (present(r["stop_at"])) {
    MESH_TRY(random.stop_at, duration(r["stop_at"], prefix + ".stop_at"));
  }
  return {};
}

Status Reader::checks(const YAML::Node& node, Checks& checks) const {
  MESH_TRY_VOID(known(node, "checks",
                      {"converge_within", "convergence", "no_resurrection", "one_owner",
                       "peer_status", "bounded_logs"}));
  if (present(node["converge_within"])) {
    MESH_TRY(checks.converge_within, duration(node["converge_within"], "checks.converge_within"));
  }
  struct Field {
    const char* name;
    bool* target;
  };
  for (const Field& field :
       {Field{"convergence", &checks.convergence},
        Field{"no_resurrection", &checks.no_resurrection}, Field{"one_owner", &checks.one_owner},
        Field{"peer_status", &checks.peer_status}, Field{"bounded_logs", &checks.bounded_logs}}) {
    if (present(node[field.name])) {
      MESH_TRY(*field.target, boolean(node[field.name], std::string("checks.") + field.name));
    }
  }
  return {};
}

const std::map<std::string, ActionKind>& action_names() {
  static const std::map<std::string, ActionKind> names = {
      {"create", ActionKind::create},
      {"update", ActionKind::update},
      {"delete", ActionKind::remove},
      {"partition", ActionKind::partition},
      {"block", ActionKind::block},
      {"unblock", ActionKind::unblock},
      {"isolate", ActionKind::isolate},
      {"heal", ActionKind::heal},
      {"flap", ActionKind::flap},
      {"crash", ActionKind::crash},
      {"restart", ActionKind::restart},
      {"pause", ActionKind::pause},
      {"resume", ActionKind::resume},
      {"clock_jump", ActionKind::clock_jump},
      {"clock_drift", ActionKind::clock_drift},
      {"reset", ActionKind::reset},
      {"watch_drop", ActionKind::watch_drop},
      {"compact", ActionKind::compact},
      {"api_pause", ActionKind::api_pause},
      {"api_resume", ActionKind::api_resume},
      {"conflict_storm", ActionKind::conflict_storm},
      {"health", ActionKind::health},
      {"assert", ActionKind::assert_converged},
  };
  return names;
}

Result<Action, ScenarioFailure> Reader::action(const YAML::Node& node, std::size_t index) const {
  const std::string key = "timeline[" + std::to_string(index) + "]";
  if (!node.IsMap()) return error(node, key, "expected {at: TIME, ACTION: ...}");
  Action action;
  action.line = node.Mark().is_null() ? 0 : node.Mark().line + 1;
  if (!present(node["at"])) return error(node, key + ".at", "required");
  MESH_TRY(action.at, duration(node["at"], key + ".at"));
  std::string name;
  for (const auto& entry : node) {
    const std::string field = entry.first.Scalar();
    if (field == "at") continue;
    if (!name.empty()) return error(entry.first, key, "one action per entry");
    if (action_names().count(field) == 0)
      return error(entry.first, key + "." + field, "unknown action");
    name = field;
  }
  if (name.empty()) return error(node, key, "no action");
  action.kind = action_names().at(name);
  MESH_TRY_VOID(action_body(node[name], key + "." + name, action));
  return action;
}

// The body of one action: a zone name for the simple ones, a mapping for the rest.
Status Reader::action_body(const YAML::Node& body, const std::string& key, Action& action) const {
  if (names_one_zone(action.kind)) {
    MESH_TRY(action.zone, string(body, key));
    return {};
  }
  switch (action.kind) {
    case ActionKind::restart: return restart_body(body, key, action);
    case ActionKind::heal:
    case ActionKind::reset:
      if (present(body)) {
        MESH_TRY_VOID(known(body, key, {}));
      }
      return {};
    case ActionKind::assert_converged: return assertion(body, key, action);
    default: return action_fields(body, key, action);
  }
}

// `restart: zone2`, or `restart: {zone: zone2, state: checkpoint}`.
Status Reader::restart_body(const YAML::Node& body, const std::string& key, Action& action) const {
  if (!body.IsMap()) {
    MESH_TRY(action.zone, string(body, key));
    return {};
  }
  MESH_TRY_VOID(known(body, key, {"zone", "state"}));
  MESH_TRY(action.zone, string(body["zone"], key + ".zone"));
  if (present(body["state"])) {
    MESH_TRY(const std::string state, string(body["state"], key + ".state"));
    if (state != "checkpoint" && state != "none") {
      return error(body["state"], key + ".state",
                   "expected checkpoint (resume from the last checkpoint) or none");
    }
    action.from_checkpoint = state == "checkpoint";
  }
  return {};
}

// The mapping of every other action: each key is read the same way for every action.
Status Reader::action_fields(const YAML::Node& body, const std::string& key, Action& action) const {
  MESH_TRY_VOID(
      known(body, key,
            {"zone", "app", "placements", "strategy", "version", "groups", "one_way", "from", "to",
             "zones", "period", "duration", "by", "ppm", "count", "value"}));
  struct StringField {
    const char* name;
    std::string Action::*member;
  };
  // `version` and `value` are two names of one field (set_version reads better with the first).
  static constexpr StringField string_fields[] = {
      {"zone", &Action::zone}, {"app", &Action::app},       {"from", &Action::from},
      {"to", &Action::to},     {"version", &Action::value}, {"value", &Action::value}};
  for (const StringField& field : string_fields) {
    if (present(body[field.name])) {
      MESH_TRY(action.*field.member, string(body[field.name], key + "." + field.name));
    }
  }
  if (present(body["strategy"])) {
    MESH_TRY(action.strategy, string(body["strategy"], key + ".strategy"));
    if (action.strategy != "Local" && action.strategy != "Global") {
      return error(body["strategy"], key + ".strategy", "expected Local or Global");
    }
  }
  for (const char* name : {"placements", "zones"}) {
    if (present(body[name])) {
      MESH_TRY(action.zones, strings(body[name], key + "." + name));
    }
  }
  if (present(body["one_way"])) {
    MESH_TRY(action.one_way, boolean(body["one_way"], key + ".one_way"));
  }
  MESH_TRY_VOID(action_timing(body, key, action));
  if (present(body["groups"])) {
    if (!body["groups"].IsSequence()) return error(body["groups"], key + ".groups", "a list");
    for (const YAML::Node& group : body["groups"]) {
      MESH_TRY(std::vector<std::string> members, strings(group, key + ".groups[]"));
      action.groups.push_back(std::move(members));
    }
  }
  return {};
}

// The numeric fields of an action: period, duration, by, ppm, count.
Status Reader::action_timing(const YAML::Node& body, const std::string& key, Action& action) const {
  if (present(body["period"])) {
    MESH_TRY(action.period, duration(body["period"], key + ".period"));
  }
  if (present(body["duration"])) {
    MESH_TRY(action.duration, duration(body["duration"], key + ".duration"));
  }
  if (present(body["by"])) {
    MESH_TRY(action.by, signed_duration(body["by"], key + ".by"));
  }
  if (present(body["ppm"])) {
    MESH_TRY(action.ppm, integer(body["ppm"], key + ".ppm", -1000, 1000));
  }
  return optional_count(body, "count", key, 1, 1'000'000, action.count);
}

Status Reader::assertion(const YAML::Node& body, const std::string& key, Action& action) const {
  if (body.IsScalar() && body.Scalar() == "converged") {
    action.kind = ActionKind::assert_converged;
    return {};
  }
  if (!body.IsMap() || body.size() != 1) {
    return error(body, key,
                 "expected converged, {owner: ...}, {exists: ...}, {absent: ...} or "
                 "{peer_state: ...}");
  }
  const std::string which = body.begin()->first.Scalar();
  const YAML::Node args = body.begin()->second;
  const std::string sub = key + "." + which;
  if (which == "owner") {
    action.kind = ActionKind::assert_owner;
    MESH_TRY_VOID(known(args, sub, {"app", "zone"}));
    MESH_TRY_VOID(required(args, "app", sub));
    MESH_TRY_VOID(required(args, "zone", sub));
    MESH_TRY(action.app, string(args["app"], sub + ".app"));
    MESH_TRY(action.zone, string(args["zone"], sub + ".zone"));
  } else if (which == "exists" || which == "absent") {
    action.kind = which == "exists" ? ActionKind::assert_exists : ActionKind::assert_absent;
    MESH_TRY_VOID(known(args, sub, {"app", "zones"}));
    MESH_TRY_VOID(required(args, "app", sub));
    MESH_TRY(action.app, string(args["app"], sub + ".app"));
    if (present(args["zones"])) {
      MESH_TRY(action.zones, strings(args["zones"], sub + ".zones"));
    }
  } else if (which == "peer_state") {
    action.kind = ActionKind::assert_peer_state;
    MESH_TRY_VOID(known(args, sub, {"peer", "state", "observers"}));
    MESH_TRY_VOID(required(args, "peer", sub));
    MESH_TRY_VOID(required(args, "state", sub));
    MESH_TRY(action.zone, string(args["peer"], sub + ".peer"));
    MESH_TRY(action.state, string(args["state"], sub + ".state"));
    const std::set<std::string> states = {"Ready", "NotReady", "Unavailable", "Unknown"};
    if (states.count(action.state) == 0) {
      return error(args["state"], sub + ".state",
                   "expected Ready, NotReady, Unavailable or Unknown");
    }
    if (present(args["observers"])) {
      MESH_TRY(action.zones, strings(args["observers"], sub + ".observers"));
    }
  } else {
    return error(body.begin()->first, sub, "unknown assertion");
  }
  return {};
}

// Every zone an action names must exist.
Status check_zone_references(const Reader& reader, const YAML::Node& node, const Action& action,
                             const Scenario& scenario, const std::string& key) {
  std::set<std::string> known;
  for (const ZoneSpec& zone : scenario.zones) known.insert(zone.name);
  std::vector<std::string> named;
  for (const std::string* name : {&action.zone, &action.from, &action.to}) {
    if (!name->empty()) named.push_back(*name);
  }
  named.insert(named.end(), action.zones.begin(), action.zones.end());
  for (const auto& group : action.groups) named.insert(named.end(), group.begin(), group.end());
  for (const std::string& name : named) {
    if (known.count(name) == 0) return reader.error(node, key, "unknown zone '" + name + "'");
  }
  return {};
}

// At least two groups, none empty, and no zone in two of them.
Status check_partition_groups(const Reader& reader, const YAML::Node& body, const Action& action,
                              const std::string& prefix) {
  if (action.groups.size() < 2) {
    return reader.error(body, prefix + ".groups", "expected at least two groups");
  }
  std::set<std::string> seen;
  for (const auto& group : action.groups) {
    if (group.empty()) return reader.error(body["groups"], prefix + ".groups", "an empty group");
    for (const std::string& zone : group) {
      if (!seen.insert(zone).second) {
        return reader.error(body["groups"], prefix + ".groups",
                            "zone '" + zone + "' is in two groups");
      }
    }
  }
  return {};
}

// The fields an action cannot do without, so that a file missing one fails to load with its
// line instead of crashing or doing nothing at run time. Optional fields have defaults
// (placements: the creating zone; version: a fresh one; one_way: false; count: 1).
Status check_required_fields(const Reader& reader, const YAML::Node& node, const Action& action,
                             const std::string& key) {
  std::string name;
  for (const auto& [text, kind] : action_names()) {
    if (kind == action.kind) name = text;
  }
  const YAML::Node body = node[name];
  const std::string prefix = key + "." + name;
  const auto need = [&](bool given, const char* field) -> Status {
    if (given) return {};
    return reader.error(body, prefix + "." + field, "required");
  };
  switch (action.kind) {
    case ActionKind::create:
    case ActionKind::update:
    case ActionKind::remove:
      MESH_TRY_VOID(need(!action.zone.empty(), "zone"));
      return need(!action.app.empty(), "app");
    case ActionKind::partition: return check_partition_groups(reader, body, action, prefix);
    case ActionKind::block:
    case ActionKind::unblock:
      MESH_TRY_VOID(need(!action.from.empty(), "from"));
      MESH_TRY_VOID(need(!action.to.empty(), "to"));
      if (action.from == action.to) return reader.error(body, prefix, "from and to are one zone");
      return {};
    case ActionKind::flap:
      if (action.zones.size() != 2 || action.zones[0] == action.zones[1]) {
        return reader.error(body, prefix + ".zones", "expected two different zones");
      }
      MESH_TRY_VOID(need(action.period > Duration::zero(), "period"));
      return need(action.duration > Duration::zero(), "duration");
    case ActionKind::clock_jump:
    case ActionKind::clock_drift:
    case ActionKind::conflict_storm: return need(!action.zone.empty(), "zone");
    case ActionKind::health: {
      MESH_TRY_VOID(need(!action.zone.empty(), "zone"));
      MESH_TRY_VOID(need(!action.app.empty(), "app"));
      MESH_TRY_VOID(need(!action.value.empty(), "value"));
      const std::set<std::string> values = {"Healthy",     "Missing",   "Degraded",
                                            "Progressing", "Suspended", "Unknown"};
      if (values.count(action.value) != 0) return {};
      return reader.error(body["value"], prefix + ".value",
                          "expected Healthy, Progressing, Degraded, Missing, Suspended or Unknown");
    }
    default: return {};
  }
}

Status parse_timeline(const Reader& reader, const YAML::Node& node, Scenario& scenario) {
  if (!node.IsSequence()) return reader.error(node, "timeline", "expected a list");
  for (std::size_t index = 0; index < node.size(); index++) {
    MESH_TRY(Action action, reader.action(node[index], index));
    const std::string key = "timeline[" + std::to_string(index) + "]";
    MESH_TRY_VOID(check_zone_references(reader, node[index], action, scenario, key));
    MESH_TRY_VOID(check_required_fields(reader, node[index], action, key));
    if (action.at > scenario.duration) {
      return reader.error(
          node[index]["at"], "timeline[" + std::to_string(index) + "].at",
          "after the end of the run (duration " + format_duration(scenario.duration) + ")");
    }
    scenario.timeline.push_back(std::move(action));
  }
  std::stable_sort(scenario.timeline.begin(), scenario.timeline.end(),
                   [](const Action& a, const Action& b) { return a.at < b.at; });
  return {};
}

Result<Topology, ScenarioFailure> parse_topology(const Reader& reader, const YAML::Node& node) {
  MESH_TRY(const std::string topology, reader.string(node, "topology"));
  const std::map<std::string, Topology> topologies = {
      {"full", Topology::full},
      {"bootstrap_first", Topology::bootstrap_first},
      {"ring", Topology::ring},
      {"line", Topology::line},
      {"star", Topology::star}};
  const auto found = topologies.find(topology);
  if (found == topologies.end()) {
    return reader.error(node, "topology", "expected full, bootstrap_first, ring, line or star");
  }
  return found->second;
}

Status parse_kube(const Reader& reader, const YAML::Node& node, KubeSpec& kube) {
  MESH_TRY_VOID(reader.known(node, "kube", {"request_latency", "watch_latency", "watch_history"}));
  MESH_TRY_VOID(
      reader.optional_count(node, "watch_history", "kube", 1, 1'000'000, kube.watch_history));
  if (present(node["request_latency"])) {
    MESH_TRY(kube.request_latency,
             reader.duration(node["request_latency"], "kube.request_latency"));
  }
  if (present(node["watch_latency"])) {
    MESH_TRY(kube.watch_latency, reader.duration(node["watch_latency"], "kube.watch_latency"));
  }
  return {};
}

// What names a run: name, description, seed and duration.
Status parse_header(const Reader& reader, const YAML::Node& root, Scenario& scenario) {
  if (present(root["name"])) {
    MESH_TRY(scenario.name, reader.string(root["name"], "name"));
  }
  if (present(root["description"])) {
    MESH_TRY(scenario.description, reader.string(root["description"], "description"));
    // A literal block keeps its final newline; the text itself does not need it.
    while (scenario.description.ends_with('\n')) scenario.description.pop_back();
  }
  if (present(root["seed"])) {
    MESH_TRY(const std::int64_t seed, reader.integer(root["seed"], "seed", 0, INT64_MAX));
    scenario.seed = static_cast<std::uint64_t>(seed);
  }
  if (present(root["duration"])) {
    MESH_TRY(scenario.duration, reader.duration(root["duration"], "duration"));
  }
  return {};
}

// After engine: without MeshPeer objects there is no peer status to check, so that check is
// off unless asked for, and asking for it is a contradiction.
Status parse_checks(const Reader& reader, const YAML::Node& root, Scenario& scenario) {
  if (present(root["checks"])) {
    MESH_TRY_VOID(reader.checks(root["checks"], scenario.checks));
  }
  if (scenario.engine.meshpeers) return {};
  const YAML::Node asked = present(root["checks"]) ? root["checks"]["peer_status"] : YAML::Node();
  if (present(asked) && scenario.checks.peer_status) {
    return reader.error(asked, "checks.peer_status", "needs engine.meshpeers: true");
  }
  scenario.checks.peer_status = false;
  return {};
}

Status parse_top_level(const Reader& reader, const YAML::Node& root, Scenario& scenario) {
  MESH_TRY_VOID(parse_header(reader, root, scenario));
  if (!present(root["zones"])) return reader.error(root, "zones", "required");
  MESH_TRY_VOID(reader.zones(root["zones"], scenario));
  if (present(root["topology"])) {
    MESH_TRY(scenario.topology, parse_topology(reader, root["topology"]));
  }
  if (present(root["network"])) {
    MESH_TRY_VOID(reader.network(root["network"], scenario));
  }
  if (present(root["engine"])) {
    MESH_TRY_VOID(reader.engine(root["engine"], scenario.engine));
  }
  if (present(root["kube"])) {
    MESH_TRY_VOID(parse_kube(reader, root["kube"], scenario.kube));
  }
  if (present(root["controller"])) {
    MESH_TRY(scenario.controller, reader.boolean(root["controller"], "controller"));
  }
  if (present(root["workload"])) {
    MESH_TRY_VOID(reader.workload(root["workload"], scenario.random));
  }
  if (present(root["timeline"])) {
    MESH_TRY_VOID(parse_timeline(reader, root["timeline"], scenario));
  }
  MESH_TRY_VOID(parse_checks(reader, root, scenario));
  if (present(root["tags"])) {
    MESH_TRY(scenario.tags, reader.strings(root["tags"], "tags"));
  }
  if (present(root["test"])) {
    MESH_TRY_VOID(reader.known(root["test"], "test", {"break_merge_rule"}));
    if (present(root["test"]["break_merge_rule"])) {
      MESH_TRY(scenario.test_break_merge_rule,
               reader.boolean(root["test"]["break_merge_rule"], "test.break_merge_rule"));
    }
  }
  return {};
}

}  // namespace

// ------------------------------------------------------------------------------------------

void apply_engine_spec(const EngineSpec& spec, engine::Config& config) {
  config.heartbeat_interval = spec.heartbeat_interval;
  config.peer_suspect_after = spec.peer_suspect_after;
  config.peer_unavailable_after = spec.peer_unavailable_after;
  config.link_idle_timeout = spec.link_idle_timeout;
  config.resync_interval = spec.resync_interval;
  config.dial_backoff_max = spec.dial_backoff_max;
  config.tombstone_retention = spec.tombstone_retention;
  config.status_write_delay = spec.status_write_delay;
  config.publish_delay = spec.publish_delay;
  config.connections_target = spec.connections_target;
  config.snapshot_max_log = spec.snapshot_max_log;
  config.snapshot_interval = spec.snapshot_interval;
  config.cipher = spec.cipher;
  config.relay = spec.relay;
}

Result<Duration, std::string> parse_duration(const std::string& text) {
  struct Unit {
    const char* suffix;
    std::int64_t ns;
  };
  for (const Unit& unit :
       {Unit{"ms", 1'000'000}, Unit{"us", 1'000}, Unit{"ns", 1}, Unit{"s", 1'000'000'000},
        Unit{"m", 60'000'000'000}, Unit{"h", 3'600'000'000'000}}) {
    const std::string suffix = unit.suffix;
    if (text.size() <= suffix.size() || !text.ends_with(suffix)) continue;
    const std::string number = text.substr(0, text.size() - suffix.size());
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || end != number.data() + number.size() || value < 0) break;
    if (value > INT64_MAX / unit.ns) return fail("'" + text + "' is too long");
    return Duration::from_ns(value * unit.ns);
  }
  return fail("'" + text + "' is not a duration (use e.g. 500ms, 5s, 2m)");
}

Result<Scenario, ScenarioFailure> parse_scenario(const std::string& text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& exception) {
    return fail(ScenarioError::syntax, file + ":" + std::to_string(exception.mark.line + 1) +
                                           ": invalid YAML: " + exception.msg);
  }
  Reader reader(file);
  Scenario scenario;
  scenario.file = file;
  try {
    MESH_TRY_VOID(reader.known(
        root, "",
        {"name", "description", "seed", "duration", "zones", "topology", "network", "engine",
         "kube", "controller", "workload", "timeline", "checks", "tags", "test"}));
    MESH_TRY_VOID(parse_top_level(reader, root, scenario));
  } catch (const YAML::Exception& exception) {
    return fail(ScenarioError::syntax, file + ": invalid YAML: " + exception.msg);
  }
  return scenario;
}

Result<Scenario, ScenarioFailure> load_scenario(const std::string& path) {
  std::ifstream stream(path);
  if (!stream) return fail(ScenarioError::unreadable, path + ": cannot read scenario file");
  std::stringstream buffer;
  buffer << stream.rdbuf();
  return parse_scenario(buffer.str(), path);
}

std::string format_duration(Duration duration) {
  const std::int64_t ns = duration.ns();
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

}  // namespace mesh::simulator

namespace mesh::simulator {

namespace {

void emit_latency(YAML::Emitter& out, const io_sim::LatencyModel& model) {
  using Kind = io_sim::LatencyModel::Kind;
  out << YAML::Flow << YAML::BeginMap;
  switch (model.kind) {
    case Kind::constant:
      out << YAML::Key << "distribution" << YAML::Value << "constant";
      out << YAML::Key << "value" << YAML::Value << format_duration(model.value);
      break;
    case Kind::uniform:
      out << YAML::Key << "distribution" << YAML::Value << "uniform";
      out << YAML::Key << "min" << YAML::Value << format_duration(model.min);
      out << YAML::Key << "max" << YAML::Value << format_duration(model.max);
      break;
    case Kind::exponential:
      out << YAML::Key << "distribution" << YAML::Value << "exponential";
      out << YAML::Key << "min" << YAML::Value << format_duration(model.min);
      out << YAML::Key << "mean" << YAML::Value << format_duration(model.mean);
      break;
    case Kind::bimodal:
      out << YAML::Key << "distribution" << YAML::Value << "bimodal";
      out << YAML::Key << "min" << YAML::Value << format_duration(model.min);
      out << YAML::Key << "max" << YAML::Value << format_duration(model.max);
      out << YAML::Key << "slow_probability" << YAML::Value << model.slow_probability;
      out << YAML::Key << "slow_min" << YAML::Value << format_duration(model.slow_min);
      out << YAML::Key << "slow_max" << YAML::Value << format_duration(model.slow_max);
      break;
  }
  out << YAML::EndMap;
}

std::string action_key(ActionKind kind) {
  for (const auto& [name, value] : action_names()) {
    if (value == kind) return name;
  }
  return "assert";
}

void emit_assertion(YAML::Emitter& out, const Action& action) {
  switch (action.kind) {
    case ActionKind::assert_converged: out << "converged"; return;
    case ActionKind::assert_owner:
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "owner" << YAML::Value << YAML::BeginMap
          << YAML::Key << "app" << YAML::Value << action.app << YAML::Key << "zone" << YAML::Value
          << action.zone << YAML::EndMap << YAML::EndMap;
      return;
    case ActionKind::assert_exists:
    case ActionKind::assert_absent:
      out << YAML::Flow << YAML::BeginMap << YAML::Key
          << (action.kind == ActionKind::assert_exists ? "exists" : "absent") << YAML::Value
          << YAML::BeginMap << YAML::Key << "app" << YAML::Value << action.app;
      if (!action.zones.empty()) out << YAML::Key << "zones" << YAML::Value << action.zones;
      out << YAML::EndMap << YAML::EndMap;
      return;
    case ActionKind::assert_peer_state:
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "peer_state" << YAML::Value
          << YAML::BeginMap << YAML::Key << "peer" << YAML::Value << action.zone << YAML::Key
          << "state" << YAML::Value << action.state;
      if (!action.zones.empty()) out << YAML::Key << "observers" << YAML::Value << action.zones;
      out << YAML::EndMap << YAML::EndMap;
      return;
    default: MESH_UNREACHABLE();
  }
}

// The mapping of every other action, the keys Reader::action_fields reads.
void emit_action_fields(YAML::Emitter& out, const Action& action) {
  out << YAML::Flow << YAML::BeginMap;
  const auto field = [&](const char* key, const std::string& value) {
    if (!value.empty()) out << YAML::Key << key << YAML::Value << value;
  };
  field("zone", action.zone);
  field("app", action.app);
  field("from", action.from);
  field("to", action.to);
  if (action.kind == ActionKind::create) field("strategy", action.strategy);
  if (action.kind == ActionKind::create || action.kind == ActionKind::update) {
    field("version", action.value);
  } else {
    field("value", action.value);
  }
  if (!action.zones.empty()) {
    out << YAML::Key << (action.kind == ActionKind::create ? "placements" : "zones") << YAML::Value
        << action.zones;
  }
  if (!action.groups.empty()) out << YAML::Key << "groups" << YAML::Value << action.groups;
  if (action.one_way) out << YAML::Key << "one_way" << YAML::Value << true;
  if (action.period > Duration::zero()) field("period", format_duration(action.period));
  if (action.duration > Duration::zero()) field("duration", format_duration(action.duration));
  if (action.kind == ActionKind::clock_jump) {
    const bool negative = action.by < Duration::zero();
    field("by", (negative ? "-" : "") +
                    format_duration(negative ? Duration::zero() - action.by : action.by));
  }
  if (action.kind == ActionKind::clock_drift)
    out << YAML::Key << "ppm" << YAML::Value << action.ppm;
  if (action.count > 0) out << YAML::Key << "count" << YAML::Value << action.count;
  out << YAML::EndMap;
}

void emit_action_body(YAML::Emitter& out, const Action& action) {
  if (names_one_zone(action.kind)) {
    out << action.zone;
    return;
  }
  switch (action.kind) {
    case ActionKind::restart:
      if (action.from_checkpoint) {
        out << YAML::Flow << YAML::BeginMap << YAML::Key << "zone" << YAML::Value << action.zone
            << YAML::Key << "state" << YAML::Value << "checkpoint" << YAML::EndMap;
      } else {
        out << action.zone;
      }
      return;
    case ActionKind::heal:
    case ActionKind::reset: out << YAML::Flow << YAML::BeginMap << YAML::EndMap; return;
    case ActionKind::assert_converged:
    case ActionKind::assert_owner:
    case ActionKind::assert_exists:
    case ActionKind::assert_absent:
    case ActionKind::assert_peer_state: emit_assertion(out, action); return;
    default: emit_action_fields(out, action); return;
  }
}

void emit_engine(YAML::Emitter& out, const EngineSpec& engine) {
  out << YAML::Key << "engine" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "heartbeat_interval" << YAML::Value
      << format_duration(engine.heartbeat_interval);
  out << YAML::Key << "peer_suspect_after" << YAML::Value
      << format_duration(engine.peer_suspect_after);
  out << YAML::Key << "peer_unavailable_after" << YAML::Value
      << format_duration(engine.peer_unavailable_after);
  out << YAML::Key << "link_idle_timeout" << YAML::Value
      << format_duration(engine.link_idle_timeout);
  out << YAML::Key << "resync_interval" << YAML::Value << format_duration(engine.resync_interval);
  out << YAML::Key << "dial_backoff_max" << YAML::Value << format_duration(engine.dial_backoff_max);
  out << YAML::Key << "tombstone_retention" << YAML::Value
      << format_duration(engine.tombstone_retention);
  out << YAML::Key << "status_write_delay" << YAML::Value
      << format_duration(engine.status_write_delay);
  out << YAML::Key << "publish_delay" << YAML::Value << format_duration(engine.publish_delay);
  out << YAML::Key << "connections_target" << YAML::Value << engine.connections_target;
  out << YAML::Key << "snapshot_max_log" << YAML::Value << engine.snapshot_max_log;
  out << YAML::Key << "snapshot_interval" << YAML::Value
      << format_duration(engine.snapshot_interval);
  if (!engine.meshpeers) out << YAML::Key << "meshpeers" << YAML::Value << false;
  if (engine.cipher != EngineSpec{}.cipher) {
    out << YAML::Key << "cipher" << YAML::Value
        << std::string(engine::noise::cipher_config_name(engine.cipher));
  }
  if (engine.relay != EngineSpec{}.relay) {
    out << YAML::Key << "relay" << YAML::Value
        << std::string(engine::relay_mode_name(engine.relay));
  }
  if (engine.checkpoint_interval != EngineSpec{}.checkpoint_interval) {
    out << YAML::Key << "checkpoint_interval" << YAML::Value
        << format_duration(engine.checkpoint_interval);
  }
  out << YAML::EndMap;
}

void emit_zones(YAML::Emitter& out, const std::vector<ZoneSpec>& zones) {
  out << YAML::Key << "zones" << YAML::Value << YAML::BeginSeq;
  for (const ZoneSpec& zone : zones) {
    const bool plain = zone.clock_offset == Duration::zero() && zone.clock_drift_ppm == 0 &&
                       !zone.start_at && zone.liveness_refs;
    if (plain) {
      out << zone.name;
      continue;
    }
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << zone.name;
    out << YAML::Key << "clock" << YAML::Value << YAML::BeginMap << YAML::Key << "offset"
        << YAML::Value
        << (zone.clock_offset < Duration::zero()
                ? "-" + format_duration(Duration::zero() - zone.clock_offset)
                : format_duration(zone.clock_offset))
        << YAML::Key << "drift_ppm" << YAML::Value << zone.clock_drift_ppm << YAML::EndMap;
    if (zone.start_at) {
      out << YAML::Key << "start_at" << YAML::Value << format_duration(*zone.start_at);
    }
    if (!zone.liveness_refs) out << YAML::Key << "liveness_refs" << YAML::Value << false;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

void emit_network(YAML::Emitter& out, const Scenario& scenario) {
  const char* topologies[] = {"full", "bootstrap_first", "ring", "line", "star"};
  out << YAML::Key << "topology" << YAML::Value
      << topologies[static_cast<std::size_t>(scenario.topology)];
  out << YAML::Key << "network" << YAML::Value << YAML::BeginMap << YAML::Key << "latency"
      << YAML::Value;
  emit_latency(out, scenario.latency);
  if (!scenario.links.empty()) {
    out << YAML::Key << "links" << YAML::Value << YAML::BeginSeq;
    for (const LinkSpec& link : scenario.links) {
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "between" << YAML::Value
          << std::vector<std::string>{link.a, link.b};
      if (link.latency) {
        out << YAML::Key << "latency" << YAML::Value;
        emit_latency(out, *link.latency);
      }
      if (link.bandwidth_bytes_per_second > 0) {
        out << YAML::Key << "bandwidth" << YAML::Value << link.bandwidth_bytes_per_second;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

void emit_kube(YAML::Emitter& out, const KubeSpec& kube) {
  out << YAML::Key << "kube" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
      << "request_latency" << YAML::Value << format_duration(kube.request_latency) << YAML::Key
      << "watch_latency" << YAML::Value << format_duration(kube.watch_latency);
  if (kube.watch_history != KubeSpec{}.watch_history) {
    out << YAML::Key << "watch_history" << YAML::Value << kube.watch_history;
  }
  out << YAML::EndMap;
}

void emit_workload(YAML::Emitter& out, const RandomWorkload& random) {
  if (random.operations_per_second <= 0) return;
  out << YAML::Key << "workload" << YAML::Value << YAML::BeginMap << YAML::Key << "random"
      << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "operations_per_second" << YAML::Value << random.operations_per_second;
  out << YAML::Key << "objects" << YAML::Value << random.objects;
  out << YAML::Key << "delete_fraction" << YAML::Value << random.delete_fraction;
  out << YAML::Key << "update_fraction" << YAML::Value << random.update_fraction;
  if (random.object_size_bytes > 0) {
    out << YAML::Key << "object_size" << YAML::Value << random.object_size_bytes;
  }
  if (random.stop_at) {
    out << YAML::Key << "stop_at" << YAML::Value << format_duration(*random.stop_at);
  }
  out << YAML::EndMap << YAML::EndMap;
}

void emit_checks(YAML::Emitter& out, const Checks& checks) {
  out << YAML::Key << "checks" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "converge_within" << YAML::Value << format_duration(checks.converge_within);
  out << YAML::Key << "convergence" << YAML::Value << checks.convergence;
  out << YAML::Key << "no_resurrection" << YAML::Value << checks.no_resurrection;
  out << YAML::Key << "one_owner" << YAML::Value << checks.one_owner;
  out << YAML::Key << "peer_status" << YAML::Value << checks.peer_status;
  out << YAML::Key << "bounded_logs" << YAML::Value << checks.bounded_logs;
  out << YAML::EndMap;
}

}  // namespace

std::string to_yaml(const Scenario& scenario) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << scenario.name;
  if (!scenario.description.empty()) {
    out << YAML::Key << "description" << YAML::Value << YAML::Literal << scenario.description;
  }
  if (scenario.seed) out << YAML::Key << "seed" << YAML::Value << *scenario.seed;
  out << YAML::Key << "duration" << YAML::Value << format_duration(scenario.duration);
  emit_zones(out, scenario.zones);
  emit_network(out, scenario);
  emit_engine(out, scenario.engine);
  emit_kube(out, scenario.kube);
  out << YAML::Key << "controller" << YAML::Value << scenario.controller;
  emit_workload(out, scenario.random);
  out << YAML::Key << "timeline" << YAML::Value << YAML::BeginSeq;
  for (const Action& action : scenario.timeline) {
    out << YAML::BeginMap << YAML::Key << "at" << YAML::Value << format_duration(action.at)
        << YAML::Key << action_key(action.kind) << YAML::Value;
    emit_action_body(out, action);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  emit_checks(out, scenario.checks);
  if (!scenario.tags.empty()) out << YAML::Key << "tags" << YAML::Value << scenario.tags;
  if (scenario.test_break_merge_rule) {
    out << YAML::Key << "test" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
        << "break_merge_rule" << YAML::Value << true << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

const char* to_string(ActionKind kind) {
  switch (kind) {
    case ActionKind::create: return "create";
    case ActionKind::update: return "update";
    case ActionKind::remove: return "delete";
    case ActionKind::partition: return "partition";
    case ActionKind::block: return "block";
    case ActionKind::unblock: return "unblock";
    case ActionKind::isolate: return "isolate";
    case ActionKind::heal: return "heal";
    case ActionKind::flap: return "flap";
    case ActionKind::crash: return "crash";
    case ActionKind::restart: return "restart";
    case ActionKind::pause: return "pause";
    case ActionKind::resume: return "resume";
    case ActionKind::clock_jump: return "clock_jump";
    case ActionKind::clock_drift: return "clock_drift";
    case ActionKind::reset: return "reset";
    case ActionKind::watch_drop: return "watch_drop";
    case ActionKind::compact: return "compact";
    case ActionKind::api_pause: return "api_pause";
    case ActionKind::api_resume: return "api_resume";
    case ActionKind::conflict_storm: return "conflict_storm";
    case ActionKind::health: return "health";
    case ActionKind::assert_converged: return "assert converged";
    case ActionKind::assert_owner: return "assert owner";
    case ActionKind::assert_exists: return "assert exists";
    case ActionKind::assert_absent: return "assert absent";
    case ActionKind::assert_peer_state: return "assert peer_state";
  }
  MESH_UNREACHABLE();
}

}  // namespace mesh::simulator
