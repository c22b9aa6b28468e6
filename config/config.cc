#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/log_filter.h"
#include "engine/identity.h"
#include "engine/limits.h"

extern char** environ;

namespace mesh::config {

namespace {

// Ten years: any interval above this is a typo, and keeping values small means a conversion
// to nanoseconds can never overflow an int64.
constexpr std::int64_t interval_seconds_max = 10LL * 365 * 24 * 3600;
constexpr std::int64_t snapshot_max_log_max = 1'000'000;

struct KeyPath {
  std::string dotted;  // "mesh.snapshot.snapshot_interval_seconds"
};

// Decodes one YAML tree into a ControllerConfig. Values set from the environment or the
// command line have no position in the file; `origins_` names their source instead.
class Decoder {
 public:
  Decoder(std::string file_name, std::map<std::string, std::string> origins)
      : file_name_(std::move(file_name)), origins_(std::move(origins)) {}

  Result<ControllerConfig, ConfigFailure> decode(const YAML::Node& root);
  std::vector<std::string>& warnings() { return warnings_; }

 private:
  using Status = Result<void, ConfigFailure>;

  std::string where(const YAML::Node& node, const std::string& key) const;
  Unexpected<ConfigFailure> error(ConfigError code, const YAML::Node& node, const std::string& key,
                                  const std::string& what) const;
  void warn_unknown_keys(const YAML::Node& map, const std::string& prefix,
                         const std::set<std::string>& known);
  Status expect_map(const YAML::Node& node, const std::string& key) const;

  Result<std::int64_t, ConfigFailure> read_int(const YAML::Node& node, const std::string& key,
                                               std::int64_t min, std::int64_t max) const;
  Result<bool, ConfigFailure> read_bool(const YAML::Node& node, const std::string& key) const;
  Result<std::string, ConfigFailure> read_string(const YAML::Node& node,
                                                 const std::string& key) const;
  Result<std::vector<std::string>, ConfigFailure> read_string_list(const YAML::Node& node,
                                                                   const std::string& key) const;

  Status decode_top_level(const YAML::Node& root, ControllerConfig& config);
  Status decode_nodes(const YAML::Node& node, ControllerConfig& config);
  Status decode_kubernetes(const YAML::Node& node, KubernetesConfig& kubernetes);
  Status decode_mesh(const YAML::Node& node, MeshConfig& mesh);
  Status decode_mesh_intervals(const YAML::Node& node, MeshConfig& mesh);
  Status decode_mesh_engine(const YAML::Node& node, MeshConfig& mesh);
  Result<ResourceConfig, ConfigFailure> decode_resource(const YAML::Node& node,
                                                        const std::string& key);

  std::string file_name_;
  std::map<std::string, std::string> origins_;
  std::vector<std::string> warnings_;
};

std::string Decoder::where(const YAML::Node& node, const std::string& key) const {
  // An override first: assigning it to a key the file also sets keeps the file's position on
  // the node, and the error named a line that held a valid value.
  const auto origin = origins_.find(key);
  if (origin != origins_.end()) return origin->second;
  if (node.IsDefined() && !node.Mark().is_null()) {
    return file_name_ + ":" + std::to_string(node.Mark().line + 1);
  }
  return file_name_;
}

Unexpected<ConfigFailure> Decoder::error(ConfigError code, const YAML::Node& node,
                                         const std::string& key, const std::string& what) const {
  return fail(code, where(node, key) + ": " + key + ": " + what);
}

void Decoder::warn_unknown_keys(const YAML::Node& map, const std::string& prefix,
                                const std::set<std::string>& known) {
  for (const auto& entry : map) {
    const std::string name = entry.first.Scalar();
    if (known.count(name) != 0) continue;
    const std::string key = prefix.empty() ? name : prefix + "." + name;
    warnings_.push_back(where(entry.first, key) + ": unknown key '" + key + "' is ignored");
  }
}

Decoder::Status Decoder::expect_map(const YAML::Node& node, const std::string& key) const {
  if (!node.IsMap()) {
    return error(ConfigError::wrong_type, node, key, "expected a mapping of keys");
  }
  return {};
}

// True for a key that is given and not null. yaml-cpp returns an "invalid" node for a missing
// key, on which most accessors throw; IsDefined is the one safe question to ask first.
bool is_present(const YAML::Node& node) {
  return node.IsDefined() && !node.IsNull();
}

std::string describe(const YAML::Node& node) {
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "nothing";
}

Result<std::int64_t, ConfigFailure> Decoder::read_int(const YAML::Node& node,
                                                      const std::string& key, std::int64_t min,
                                                      std::int64_t max) const {
  const std::string range = " between " + std::to_string(min) + " and " + std::to_string(max);
  if (!node.IsScalar()) {
    return error(ConfigError::wrong_type, node, key,
                 "expected an integer" + range + ", found " + describe(node));
  }
  const std::string& text = node.Scalar();
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return error(ConfigError::wrong_type, node, key,
                 "expected an integer" + range + ", found '" + text + "'");
  }
  if (value < min || value > max) {
    return error(ConfigError::bad_value, node, key,
                 "must be" + range + ", found " + std::to_string(value));
  }
  return value;
}

Result<bool, ConfigFailure> Decoder::read_bool(const YAML::Node& node,
                                               const std::string& key) const {
  if (node.IsScalar()) {
    std::string lower = node.Scalar();
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
      return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    if (lower == "true" || lower == "yes" || lower == "on") return true;
    if (lower == "false" || lower == "no" || lower == "off") return false;
  }
  return error(ConfigError::wrong_type, node, key,
               "expected true or false, found " + describe(node));
}

Result<std::string, ConfigFailure> Decoder::read_string(const YAML::Node& node,
                                                        const std::string& key) const {
  if (!node.IsScalar()) {
    return error(ConfigError::wrong_type, node, key, "expected a string, found " + describe(node));
  }
  return node.Scalar();
}

Result<std::vector<std::string>, ConfigFailure> Decoder::read_string_list(
    const YAML::Node& node, const std::string& key) const {
  if (!is_present(node)) return std::vector<std::string>{};
  if (!node.IsSequence()) {
    return error(ConfigError::wrong_type, node, key,
                 "expected a list of strings, found " + describe(node));
  }
  std::vector<std::string> values;
  std::size_t index = 0;
  for (const YAML::Node& item : node) {
    MESH_TRY(std::string value, read_string(item, key + "[" + std::to_string(index) + "]"));
    values.push_back(std::move(value));
    index++;
  }
  return values;
}

// Checks "host:port" and "[v6]:port". The host is resolved later, at dial time, so that a
// changed DNS entry is picked up (the seed resolved once: seed-spec §8.2 #14).
Result<void, std::string> check_endpoint(const std::string& endpoint) {
  std::size_t colon = std::string::npos;
  if (endpoint.starts_with('[')) {
    const std::size_t close = endpoint.find(']');
    if (close == std::string::npos || close + 1 >= endpoint.size() || endpoint[close + 1] != ':') {
      return fail(std::string("expected '[ipv6]:port'"));
    }
    colon = close + 1;
  } else {
    colon = endpoint.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return fail(std::string("expected 'host:port' (the port is required)"));
    }
    if (endpoint.find(':') != colon) {
      return fail(std::string("an IPv6 address must be written in brackets: '[addr]:port'"));
    }
  }
  const std::string port_text = endpoint.substr(colon + 1);
  int port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
    return fail("port '" + port_text + "' is not between 1 and 65535");
  }
  return {};
}

Decoder::Status Decoder::decode_nodes(const YAML::Node& node, ControllerConfig& config) {
  if (!is_present(node)) return {};
  if (!node.IsSequence()) {
    return error(ConfigError::wrong_type, node, "nodes",
                 "expected a list of {public_key, endpoints}, found " + describe(node));
  }
  std::size_t index = 0;
  for (const YAML::Node& item : node) {
    const std::string key = "nodes[" + std::to_string(index) + "]";
    MESH_TRY_VOID(expect_map(item, key));
    warn_unknown_keys(item, key, {"public_key", "endpoints"});
    PeerNode peer;
    if (!item["public_key"]) {
      return error(ConfigError::missing, item, key + ".public_key", "required");
    }
    MESH_TRY(peer.public_key, read_string(item["public_key"], key + ".public_key"));
    const auto parsed = engine::parse_public_key_hex(peer.public_key);
    if (!parsed.ok()) {
      return error(ConfigError::bad_value, item["public_key"], key + ".public_key",
                   parsed.error().message);
    }
    MESH_TRY(peer.endpoints, read_string_list(item["endpoints"], key + ".endpoints"));
    for (std::size_t e = 0; e < peer.endpoints.size(); e++) {
      const auto checked = check_endpoint(peer.endpoints[e]);
      if (!checked.ok()) {
        return error(ConfigError::bad_value, item["endpoints"][e],
                     key + ".endpoints[" + std::to_string(e) + "]",
                     "'" + peer.endpoints[e] + "': " + checked.error());
      }
    }
    config.nodes.push_back(std::move(peer));
    index++;
  }
  return {};
}

// Maps a mode name to its KubernetesMode; false when the name is unknown.
bool kubernetes_mode_from_name(const std::string& name, KubernetesMode& mode) {
  if (name == "auto") {
    mode = KubernetesMode::automatic;
  } else if (name == "incluster") {
    mode = KubernetesMode::incluster;
  } else if (name == "embedded") {
    mode = KubernetesMode::embedded;
  } else if (name == "external") {
    mode = KubernetesMode::external;
  } else {
    return false;
  }
  return true;
}

Decoder::Status Decoder::decode_kubernetes(const YAML::Node& node, KubernetesConfig& kubernetes) {
  const std::string expected =
      "expected 'auto', 'incluster', 'embedded' or {external: {kube_context: NAME}}";
  if (node.IsScalar()) {
    if (!kubernetes_mode_from_name(node.Scalar(), kubernetes.mode)) {
      return error(ConfigError::bad_value, node, "kubernetes",
                   expected + ", found '" + node.Scalar() + "'");
    }
    return {};
  }
  if (!node.IsMap() || node.size() != 1) {
    return error(ConfigError::wrong_type, node, "kubernetes", expected);
  }
  // The seed's serde form: {incluster: null} or {external: {kube_context: NAME}}.
  const YAML::Node name = node.begin()->first;
  const YAML::Node body = node.begin()->second;
  if (!kubernetes_mode_from_name(name.Scalar(), kubernetes.mode)) {
    return error(ConfigError::bad_value, name, "kubernetes",
                 expected + ", found '" + name.Scalar() + "'");
  }
  if (kubernetes.mode != KubernetesMode::external || !is_present(body)) return {};
  MESH_TRY_VOID(expect_map(body, "kubernetes.external"));
  warn_unknown_keys(body, "kubernetes.external", {"kube_context"});
  const YAML::Node context = body["kube_context"];
  if (context && !context.IsNull()) {
    MESH_TRY(kubernetes.kube_context, read_string(context, "kubernetes.external.kube_context"));
  }
  return {};
}

Result<ResourceConfig, ConfigFailure> Decoder::decode_resource(const YAML::Node& node,
                                                               const std::string& key) {
  MESH_TRY_VOID(expect_map(node, key));
  warn_unknown_keys(node, key, {"group", "version", "kind", "namespace", "merge_strategy"});
  ResourceConfig resource;
  if (node["group"] && !node["group"].IsNull()) {
    MESH_TRY(resource.group, read_string(node["group"], key + ".group"));
  }
  for (const char* required : {"version", "kind"}) {
    const YAML::Node value = node[required];
    if (!value || value.IsNull() || (value.IsScalar() && value.Scalar().empty())) {
      return error(ConfigError::missing, node, key + "." + required, "required");
    }
  }
  MESH_TRY(resource.version, read_string(node["version"], key + ".version"));
  MESH_TRY(resource.kind, read_string(node["kind"], key + ".kind"));
  if (node["namespace"] && !node["namespace"].IsNull()) {
    MESH_TRY(resource.namespace_name, read_string(node["namespace"], key + ".namespace"));
  }
  if (node["merge_strategy"]) {
    MESH_TRY(const std::string strategy,
             read_string(node["merge_strategy"], key + ".merge_strategy"));
    if (strategy == "default") {
      resource.merge_strategy = MergeStrategy::default_strategy;
    } else if (strategy == "anyapplication") {
      resource.merge_strategy = MergeStrategy::anyapplication;
    } else {
      return error(ConfigError::bad_value, node["merge_strategy"], key + ".merge_strategy",
                   "expected 'default' or 'anyapplication', found '" + strategy + "'");
    }
  }
  if (resource.merge_strategy == MergeStrategy::anyapplication &&
      resource.kind != "AnyApplication") {
    return error(ConfigError::bad_value, node, key + ".merge_strategy",
                 "'anyapplication' reads status.ownership and needs kind AnyApplication, found '" +
                     resource.kind + "'");
  }
  return resource;
}

Decoder::Status Decoder::decode_mesh_intervals(const YAML::Node& node, MeshConfig& mesh) {
  struct Section {
    const char* name;
    const char* key;
    std::int64_t* target;
    std::int64_t max;
  };
  const Section sections[] = {
      {"snapshot", "snapshot_interval_seconds", &mesh.snapshot_interval_seconds,
       interval_seconds_max},
      {"snapshot", "snapshot_max_log", &mesh.snapshot_max_log, snapshot_max_log_max},
      {"tombstone", "tombstone_retention_interval_seconds",
       &mesh.tombstone_retention_interval_seconds, interval_seconds_max},
      {"peer_timeout", "peer_unavailable_after_seconds", &mesh.peer_unavailable_after_seconds,
       interval_seconds_max},
  };
  for (const char* name : {"snapshot", "tombstone", "peer_timeout"}) {
    const YAML::Node section = node[name];
    if (!section || section.IsNull()) continue;
    MESH_TRY_VOID(expect_map(section, std::string("mesh.") + name));
    std::set<std::string> known;
    for (const Section& s : sections) {
      if (std::string(s.name) == name) known.insert(s.key);
    }
    warn_unknown_keys(section, std::string("mesh.") + name, known);
  }
  for (const Section& s : sections) {
    const YAML::Node section = node[s.name];
    if (!section || !section.IsMap() || !section[s.key]) continue;
    const std::string key = std::string("mesh.") + s.name + "." + s.key;
    MESH_TRY(*s.target, read_int(section[s.key], key, 1, s.max));
  }
  return {};
}

// The mesh keys that only tune the engine: cipher, status_write_delay_ms, publish_delay_ms,
// relay.
Decoder::Status Decoder::decode_mesh_engine(const YAML::Node& node, MeshConfig& mesh) {
  if (node["cipher"]) {
    MESH_TRY(const std::string name, read_string(node["cipher"], "mesh.cipher"));
    const auto cipher = engine::noise::cipher_from_config_name(name);
    if (!cipher) {
      return error(ConfigError::bad_value, node["cipher"], "mesh.cipher",
                   "expected chachapoly or aesgcm, found '" + name + "'");
    }
    if (!engine::noise::cipher_available(*cipher)) {
      return error(ConfigError::bad_value, node["cipher"], "mesh.cipher",
                   "aesgcm needs a CPU with AES-NI and PCLMUL, which this one lacks");
    }
    mesh.cipher = *cipher;
  }
  if (node["status_write_delay_ms"]) {
    MESH_TRY(mesh.status_write_delay_ms,
             read_int(node["status_write_delay_ms"], "mesh.status_write_delay_ms", 0,
                      engine::status_write_delay_ms_max));
  }
  if (node["publish_delay_ms"]) {
    MESH_TRY(mesh.publish_delay_ms, read_int(node["publish_delay_ms"], "mesh.publish_delay_ms", 0,
                                             engine::publish_delay_ms_max));
  }
  if (node["relay"]) {
    MESH_TRY(const std::string name, read_string(node["relay"], "mesh.relay"));
    const auto relay = engine::relay_mode_from_name(name);
    if (!relay) {
      return error(ConfigError::bad_value, node["relay"], "mesh.relay",
                   "expected all or sparse, found '" + name + "'");
    }
    mesh.relay = *relay;
  }
  return {};
}

Decoder::Status Decoder::decode_mesh(const YAML::Node& node, MeshConfig& mesh) {
  if (!is_present(node)) return {};
  MESH_TRY_VOID(expect_map(node, "mesh"));
  warn_unknown_keys(
      node, "mesh",
      {"zone", "bootstrap", "snapshot", "tombstone", "peer_timeout", "resource", "resources",
       "meshpeer_namespace", "cipher", "status_write_delay_ms", "publish_delay_ms", "relay"});
  if (node["zone"]) {
    MESH_TRY(mesh.zone, read_string(node["zone"], "mesh.zone"));
  }
  if (node["bootstrap"]) {
    MESH_TRY(mesh.bootstrap, read_bool(node["bootstrap"], "mesh.bootstrap"));
  }
  if (node["meshpeer_namespace"]) {
    MESH_TRY(mesh.meshpeer_namespace,
             read_string(node["meshpeer_namespace"], "mesh.meshpeer_namespace"));
  }
  MESH_TRY_VOID(decode_mesh_engine(node, mesh));
  MESH_TRY_VOID(decode_mesh_intervals(node, mesh));
  std::vector<ResourceConfig> resources;
  const bool resources_given = (node["resource"] && !node["resource"].IsNull()) ||
                               (node["resources"] && !node["resources"].IsNull());
  if (node["resource"] && !node["resource"].IsNull()) {
    MESH_TRY(ResourceConfig resource, decode_resource(node["resource"], "mesh.resource"));
    resources.push_back(std::move(resource));
  }
  const YAML::Node list = node["resources"];
  if (list && !list.IsNull()) {
    if (!list.IsSequence()) {
      return error(ConfigError::wrong_type, list, "mesh.resources",
                   "expected a list of resources, found " + describe(list));
    }
    for (std::size_t index = 0; index < list.size(); index++) {
      const std::string key = "mesh.resources[" + std::to_string(index) + "]";
      MESH_TRY(ResourceConfig resource, decode_resource(list[index], key));
      for (const ResourceConfig& other : resources) {
        if (other.group == resource.group && other.kind == resource.kind) {
          return error(
              ConfigError::bad_value, list[index], key,
              "kind " + resource.kind + " of group '" + resource.group + "' is listed twice");
        }
      }
      resources.push_back(std::move(resource));
    }
  }
  if (resources_given) mesh.resources = std::move(resources);
  return {};
}

Decoder::Status Decoder::decode_top_level(const YAML::Node& root, ControllerConfig& config) {
  if (root["bind_port"]) {
    MESH_TRY(const std::int64_t port, read_int(root["bind_port"], "bind_port", 1, 65535));
    config.bind_port = static_cast<std::uint16_t>(port);
  }
  if (root["http_bind_port"]) {
    MESH_TRY(const std::int64_t port, read_int(root["http_bind_port"], "http_bind_port", 1, 65535));
    config.http_bind_port = static_cast<std::uint16_t>(port);
  }
  if (root["network_id"]) {
    MESH_TRY(config.network_id, read_string(root["network_id"], "network_id"));
    if (config.network_id.empty()) {
      return error(ConfigError::bad_value, root["network_id"], "network_id", "must not be empty");
    }
  }
  if (root["private_key_path"]) {
    MESH_TRY(config.private_key_path, read_string(root["private_key_path"], "private_key_path"));
  }
  if (root["log_level"]) {
    MESH_TRY(config.log_level, read_string(root["log_level"], "log_level"));
    const auto filter = parse_log_filter(config.log_level);
    if (!filter.ok()) {
      return error(ConfigError::bad_value, root["log_level"], "log_level", filter.error().message);
    }
  }
  if (root["log_format"]) {
    MESH_TRY(const std::string format, read_string(root["log_format"], "log_format"));
    if (format != "text" && format != "json") {
      return error(ConfigError::bad_value, root["log_format"], "log_format",
                   "expected 'text' or 'json', found '" + format + "'");
    }
    config.log_format = format == "json" ? LogFormat::json : LogFormat::text;
  }
  return {};
}

Result<ControllerConfig, ConfigFailure> Decoder::decode(const YAML::Node& root) {
  ControllerConfig config;
  config.mesh.resources.push_back(ResourceConfig{.group = "dcp.hiro.io",
                                                 .version = "v1",
                                                 .kind = "AnyApplication",
                                                 .namespace_name = std::nullopt,
                                                 .merge_strategy = MergeStrategy::anyapplication});
  if (!is_present(root)) return config;
  MESH_TRY_VOID(expect_map(root, "(top level)"));
  warn_unknown_keys(
      root, "",
      {"bind_port", "http_bind_port", "network_id", "private_key_path", "nodes", "protocol",
       "discovery", "kubernetes", "mesh", "log_level", "log_format", "console"});
  MESH_TRY_VOID(decode_top_level(root, config));
  MESH_TRY_VOID(decode_nodes(root["nodes"], config));
  if (const YAML::Node protocol = root["protocol"]; protocol && !protocol.IsNull()) {
    MESH_TRY_VOID(expect_map(protocol, "protocol"));
    warn_unknown_keys(protocol, "protocol", {"poll_interval_seconds", "resync_interval_seconds"});
    // The seed requires both keys once the section is present; so do we.
    for (const char* key : {"poll_interval_seconds", "resync_interval_seconds"}) {
      if (!protocol[key]) {
        return error(ConfigError::missing, protocol, std::string("protocol.") + key,
                     "required when 'protocol' is present");
      }
    }
    MESH_TRY(config.poll_interval_seconds,
             read_int(protocol["poll_interval_seconds"], "protocol.poll_interval_seconds", 1,
                      interval_seconds_max));
    MESH_TRY(config.resync_interval_seconds,
             read_int(protocol["resync_interval_seconds"], "protocol.resync_interval_seconds", 1,
                      interval_seconds_max));
  }
  if (const YAML::Node discovery = root["discovery"]; discovery && !discovery.IsNull()) {
    MESH_TRY_VOID(expect_map(discovery, "discovery"));
    warn_unknown_keys(discovery, "discovery", {"query_interval_seconds"});
    if (discovery["query_interval_seconds"]) {
      MESH_TRY(config.query_interval_seconds,
               read_int(discovery["query_interval_seconds"], "discovery.query_interval_seconds", 1,
                        interval_seconds_max));
    }
  }
  if (const YAML::Node kubernetes = root["kubernetes"]; kubernetes && !kubernetes.IsNull()) {
    MESH_TRY_VOID(decode_kubernetes(kubernetes, config.kubernetes));
  }
  MESH_TRY_VOID(decode_mesh(root["mesh"], config.mesh));
  if (const YAML::Node console = root["console"]; console && !console.IsNull()) {
    warnings_.push_back(where(console, "console") +
                        ": 'console' (tokio-console) has no equivalent here and is ignored");
  }
  return config;
}

// The environment variables that override config keys. Top-level keys use the seed's raw
// names (BIND_PORT); nested keys join their path with "__" (MESH__ZONE).
const std::vector<std::string>& overridable_keys() {
  static const std::vector<std::string> keys = {
      "bind_port",
      "http_bind_port",
      "network_id",
      "private_key_path",
      "log_level",
      "log_format",
      "kubernetes",
      "mesh.zone",
      "mesh.bootstrap",
      "mesh.meshpeer_namespace",
      "mesh.cipher",
      "mesh.status_write_delay_ms",
      "mesh.publish_delay_ms",
      "mesh.relay",
      "mesh.snapshot.snapshot_interval_seconds",
      "mesh.snapshot.snapshot_max_log",
      "mesh.tombstone.tombstone_retention_interval_seconds",
      "mesh.peer_timeout.peer_unavailable_after_seconds",
      "protocol.poll_interval_seconds",
      "protocol.resync_interval_seconds",
      "discovery.query_interval_seconds",
  };
  return keys;
}

std::string environment_name(const std::string& dotted_key) {
  std::string name;
  for (const char c : dotted_key) {
    if (c == '.') {
      name += "__";
    } else {
      name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return name;
}

std::vector<std::string> split_path(const std::string& dotted_key) {
  std::vector<std::string> parts;
  std::stringstream stream(dotted_key);
  std::string part;
  while (std::getline(stream, part, '.')) parts.push_back(part);
  return parts;
}

// Sets `root[a][b][c] = value`, creating maps on the way. Fails when an intermediate key of
// the file holds a scalar or a list, which is itself a config error.
Result<void, ConfigFailure> set_path(YAML::Node& root, const std::string& dotted_key,
                                     const std::string& value, const std::string& origin) {
  const std::vector<std::string> parts = split_path(dotted_key);
  // yaml-cpp node handles share structure, so walking with copies edits the tree in place.
  std::vector<YAML::Node> chain{root};
  for (std::size_t index = 0; index + 1 < parts.size(); index++) {
    YAML::Node next = chain.back()[parts[index]];
    if (next.IsDefined() && !next.IsNull() && !next.IsMap()) {
      return fail(ConfigError::wrong_type, origin + ": " + dotted_key + ": cannot override, '" +
                                               parts[index] +
                                               "' in the config file is not a mapping");
    }
    if (!next.IsDefined() || next.IsNull()) {
      chain.back()[parts[index]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[index]];
    }
    chain.push_back(next);
  }
  chain.back()[parts.back()] = value;
  return {};
}

Result<YAML::Node, ConfigFailure> parse_yaml(const std::string& text,
                                             const std::string& file_name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& exception) {
    return fail(ConfigError::syntax, file_name + ":" + std::to_string(exception.mark.line + 1) +
                                         ": invalid YAML: " + exception.msg);
  } catch (const YAML::Exception& exception) {
    return fail(ConfigError::syntax, file_name + ": invalid YAML: " + exception.msg);
  }
}

Result<void, ConfigFailure> check_required(const ControllerConfig& config,
                                           const std::string& source) {
  if (config.mesh.zone.empty()) {
    return fail(ConfigError::missing,
                source + ": mesh.zone: required: the zone id of this cluster (e.g. zone1)");
  }
  return {};
}

Result<LoadedConfig, ConfigFailure> decode_with_overrides(YAML::Node root,
                                                          const std::string& file_name,
                                                          const LoadOptions& options) {
  if (root.IsDefined() && !root.IsNull() && !root.IsMap()) {
    return fail(ConfigError::wrong_type, file_name + ":1: (top level): expected a mapping of keys");
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  std::map<std::string, std::string> origins;
  for (const std::string& key : overridable_keys()) {
    const std::string name = environment_name(key);
    const auto value = options.environment.find(name);
    if (value == options.environment.end()) continue;
    const std::string origin = "environment variable " + name;
    MESH_TRY_VOID(set_path(root, key, value->second, origin));
    origins[key] = origin;
  }
  if (options.command_line.private_key_path) {
    MESH_TRY_VOID(set_path(root, "private_key_path", *options.command_line.private_key_path,
                           "--private-key-path"));
    origins["private_key_path"] = "command line --private-key-path";
  }
  if (options.command_line.log_level) {
    MESH_TRY_VOID(set_path(root, "log_level", *options.command_line.log_level, "--log-level"));
    origins["log_level"] = "command line --log-level";
  }
  Decoder decoder(file_name, std::move(origins));
  LoadedConfig loaded;
  try {
    MESH_TRY(loaded.config, decoder.decode(root));
  } catch (const YAML::Exception& exception) {
    // yaml-cpp throws on some malformed trees (e.g. duplicate keys); never let it escape.
    return fail(ConfigError::syntax, file_name + ": invalid YAML: " + exception.msg);
  }
  loaded.source = file_name;
  loaded.warnings = std::move(decoder.warnings());
  const auto private_key = options.environment.find("PRIVATE_KEY");
  if (private_key != options.environment.end()) {
    loaded.private_key_from_environment = private_key->second;
  }
  MESH_TRY_VOID(check_required(loaded.config, file_name));
  return loaded;
}

Result<std::string, ConfigFailure> read_file(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return fail(ConfigError::file_unreadable,
                path + ": cannot read config file: " + std::strerror(errno));
  }
  std::stringstream buffer;
  buffer << stream.rdbuf();
  return buffer.str();
}

}  // namespace

Result<LoadedConfig, ConfigFailure> parse_config_text(const std::string& text,
                                                      const std::string& file_name) {
  MESH_TRY(YAML::Node root, parse_yaml(text, file_name));
  return decode_with_overrides(root, file_name, LoadOptions{});
}

Result<LoadedConfig, ConfigFailure> load_config(const LoadOptions& options) {
  std::optional<std::string> path = options.config_path;
  if (!path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path local = fs::path(options.working_directory) / "config.yaml";
    if (fs::exists(local, ec)) {
      path = local.string();
    } else if (const auto xdg = options.environment.find("XDG_CONFIG_HOME");
               xdg != options.environment.end() &&
               fs::exists(fs::path(xdg->second) / "mesh" / "config.yaml", ec)) {
      path = (fs::path(xdg->second) / "mesh" / "config.yaml").string();
    }
  }
  YAML::Node root;
  std::string file_name = "defaults";
  if (path) {
    MESH_TRY(const std::string text, read_file(*path));
    MESH_TRY(root, parse_yaml(text, *path));
    file_name = *path;
  }
  return decode_with_overrides(root, file_name, options);
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; entry++) {
    const std::string text(*entry);
    const std::size_t equals = text.find('=');
    if (equals == std::string::npos) continue;
    environment[text.substr(0, equals)] = text.substr(equals + 1);
  }
  return environment;
}

const char* to_string(KubernetesMode mode) {
  switch (mode) {
    case KubernetesMode::automatic: return "auto";
    case KubernetesMode::incluster: return "incluster";
    case KubernetesMode::external: return "external";
    case KubernetesMode::embedded: return "embedded";
  }
  MESH_UNREACHABLE();
}

const char* to_string(MergeStrategy strategy) {
  switch (strategy) {
    case MergeStrategy::default_strategy: return "default";
    case MergeStrategy::anyapplication: return "anyapplication";
  }
  MESH_UNREACHABLE();
}

}  // namespace mesh::config
