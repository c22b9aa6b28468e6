// The controller's configuration: the seed's keys, their defaults, and where each value came
// from.
//
// Sources, lowest precedence first: built-in defaults < YAML file < environment < command
// line. Every key of the seed keeps its name and default (seed-spec §4); our additions are
// documented in config.example.yaml. Loading never throws and never exits: a wrong type or
// value is an error naming `FILE:LINE: key: what is wrong`; an unknown key is a warning that
// names it and its line.
//
//   MESH_TRY(LoadedConfig loaded, load_config({.config_path = "config.yaml",
//                                              .environment = environment_from(environ)}));
//   for (const auto& warning : loaded.warnings) log->warn(warning);
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/noise.h"

#include "engine/result.h"

namespace mesh::config {

enum class ConfigError {
  file_unreadable,  // -c PATH missing or unreadable
  syntax,           // YAML does not parse
  wrong_type,       // e.g. a list where an integer belongs
  bad_value,        // right type, value out of range or malformed
  missing,          // a required key is absent
};

using ConfigFailure = Error<ConfigError>;

struct PeerNode {
  std::string public_key;              // 64 hex characters (validated)
  std::vector<std::string> endpoints;  // "host:port" or "[v6]:port"
};

enum class KubernetesMode {
  automatic,  // in-cluster when $KUBERNETES_SERVICE_HOST is set, else embedded
  incluster,  // service-account token and CA of the pod
  external,   // a kubeconfig context
  embedded,   // the in-process API server (kube_sim), for local runs and tests
};

struct KubernetesConfig {
  KubernetesMode mode = KubernetesMode::automatic;
  std::string kube_context;  // external only; "" = the kubeconfig's current context
};

enum class MergeStrategy { default_strategy, anyapplication };

struct ResourceConfig {
  std::string group;
  std::string version;
  std::string kind;
  std::optional<std::string> namespace_name;  // nullopt: all namespaces
  MergeStrategy merge_strategy = MergeStrategy::default_strategy;
};

enum class LogFormat { text, json };

struct MeshConfig {
  std::string zone;
  bool bootstrap = false;
  std::int64_t snapshot_interval_seconds = 300;
  std::int64_t snapshot_max_log = 256;
  std::int64_t tombstone_retention_interval_seconds = 600;
  std::int64_t peer_unavailable_after_seconds = 120;
  // The seed's single replicated kind (`mesh.resource`); kept for compatibility. When set, it
  // is the first entry of `resources`.
  std::vector<ResourceConfig> resources;
  std::string meshpeer_namespace;  // "" = the controller's own namespace
  // The Noise cipher of the mesh (engine::Config::cipher); equal on every zone of a network.
  engine::noise::Cipher cipher = engine::noise::Cipher::chacha_poly;
  // engine::Config::status_write_delay: how long a status write gathers other zones' entries.
  std::int64_t status_write_delay_ms = 20;
  // engine::Config::publish_delay: how long a change to our own parts gathers the next ones.
  std::int64_t publish_delay_ms = 20;
  // engine::Config::relay: whether operations are relayed to peers linked to their author.
  engine::RelayMode relay = engine::RelayMode::sparse;
};

struct ControllerConfig {
  std::uint16_t bind_port = 9102;
  std::uint16_t http_bind_port = 3000;
  std::string network_id = "default-network-1";
  std::string private_key_path = "private.key";
  std::vector<PeerNode> nodes;
  std::int64_t poll_interval_seconds = 1;
  std::int64_t resync_interval_seconds = 60;
  std::int64_t query_interval_seconds = 5;
  KubernetesConfig kubernetes;
  MeshConfig mesh;
  std::string log_level = "mesh=INFO";
  LogFormat log_format = LogFormat::text;
};

// Values given on the command line; unset fields leave lower sources in place.
struct CommandLineOverrides {
  std::optional<std::string> private_key_path;
  std::optional<std::string> log_level;
};

struct LoadOptions {
  // -c PATH: must exist. Without it, ./config.yaml and then $XDG_CONFIG_HOME/mesh/config.yaml
  // are tried (as the seed does) and defaults are used when neither exists.
  std::optional<std::string> config_path;
  // The process environment as NAME -> value; passed in so that tests control it.
  std::map<std::string, std::string> environment;
  CommandLineOverrides command_line;
  // Directory searched for config.yaml when no path is given.
  std::string working_directory = ".";
};

struct LoadedConfig {
  ControllerConfig config;
  std::string source;                 // the file read, or "defaults"
  std::vector<std::string> warnings;  // unknown keys, ignored seed keys: log them
  // The hex secret seed from $PRIVATE_KEY, which wins over the key file (seed behaviour).
  std::optional<std::string> private_key_from_environment;
};

// Loads, merges and validates the configuration from every source.
Result<LoadedConfig, ConfigFailure> load_config(const LoadOptions& options);

// Parses YAML text as a config file; `file_name` appears in messages. Defaults fill the rest.
Result<LoadedConfig, ConfigFailure> parse_config_text(const std::string& text,
                                                      const std::string& file_name);

// The environment of this process (from `environ`), for LoadOptions.
std::map<std::string, std::string> process_environment();

const char* to_string(KubernetesMode mode);
const char* to_string(MergeStrategy strategy);

}  // namespace mesh::config
