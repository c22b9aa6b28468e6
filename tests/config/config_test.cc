#include "config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/config.h"

namespace mesh::config {
namespace {

namespace fs = std::filesystem;

const std::string valid_key = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

Result<LoadedConfig, ConfigFailure> parse(const std::string& text) {
  return parse_config_text(text, "test.yaml");
}

// Asserts that `text` fails with `code` and that the message contains `expected`.
void expect_error(const std::string& text, ConfigError code, const std::string& expected) {
  const auto loaded = parse(text);
  ASSERT_FALSE(loaded.ok()) << text;
  EXPECT_EQ(loaded.error().code, code) << loaded.error().message;
  EXPECT_NE(loaded.error().message.find(expected), std::string::npos)
      << "message: " << loaded.error().message << "\nexpected to contain: " << expected;
}

class TempDir {
 public:
  TempDir() {
    path_ =
        fs::temp_directory_path() /
        ("mesh-config-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return (path_ / name).string();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(Config, MinimalFileGetsTheSeedDefaults) {
  const auto loaded = parse("mesh:\n  zone: zone1\n");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const ControllerConfig& c = loaded->config;
  EXPECT_EQ(c.bind_port, 9102);
  EXPECT_EQ(c.http_bind_port, 3000);
  EXPECT_EQ(c.network_id, "default-network-1");
  EXPECT_EQ(c.private_key_path, "private.key");
  EXPECT_TRUE(c.nodes.empty());
  EXPECT_EQ(c.mesh.zone, "zone1");
  EXPECT_FALSE(c.mesh.bootstrap);
  EXPECT_EQ(c.mesh.snapshot_interval_seconds, 300);
  EXPECT_EQ(c.mesh.snapshot_max_log, 256);
  EXPECT_EQ(c.mesh.tombstone_retention_interval_seconds, 600);
  EXPECT_EQ(c.mesh.peer_unavailable_after_seconds, 120);
  EXPECT_EQ(c.kubernetes.mode, KubernetesMode::automatic);
  ASSERT_EQ(c.mesh.resources.size(), 1u);
  EXPECT_EQ(c.mesh.resources[0].kind, "AnyApplication");
  EXPECT_EQ(c.mesh.resources[0].merge_strategy, MergeStrategy::anyapplication);
  EXPECT_EQ(c.log_level, "mesh=INFO");
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST(Config, FullSeedFileParsesEveryKey) {
  // The seed's own parse_yaml_file case: all fields, IPv6 endpoints, external kube.
  const std::string text = R"(
bind_port: 9200
http_bind_port: 8080
network_id: prod
private_key_path: /keys/private-key.txt
nodes:
  - public_key: )" + valid_key +
                           R"(
    endpoints: ["10.0.0.2:9102", "[2001:db8::2]:9102", "zone2.example.net:9102"]
protocol:
  poll_interval_seconds: 3
  resync_interval_seconds: 30
discovery:
  query_interval_seconds: 7
kubernetes:
  external:
    kube_context: kind-zone1
mesh:
  zone: zone1
  bootstrap: true
  snapshot:
    snapshot_interval_seconds: 120
    snapshot_max_log: 60
  tombstone:
    tombstone_retention_interval_seconds: 300
  peer_timeout:
    peer_unavailable_after_seconds: 90
  resource:
    group: dcp.hiro.io
    version: v1
    kind: AnyApplication
    namespace: default
    merge_strategy: anyapplication
log_level: =DEBUG
log_format: json
)";
  const auto loaded = parse(text);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const ControllerConfig& c = loaded->config;
  EXPECT_EQ(c.bind_port, 9200);
  EXPECT_EQ(c.http_bind_port, 8080);
  EXPECT_EQ(c.network_id, "prod");
  EXPECT_EQ(c.private_key_path, "/keys/private-key.txt");
  ASSERT_EQ(c.nodes.size(), 1u);
  EXPECT_EQ(c.nodes[0].public_key, valid_key);
  ASSERT_EQ(c.nodes[0].endpoints.size(), 3u);
  EXPECT_EQ(c.nodes[0].endpoints[1], "[2001:db8::2]:9102");
  EXPECT_EQ(c.poll_interval_seconds, 3);
  EXPECT_EQ(c.resync_interval_seconds, 30);
  EXPECT_EQ(c.query_interval_seconds, 7);
  EXPECT_EQ(c.kubernetes.mode, KubernetesMode::external);
  EXPECT_EQ(c.kubernetes.kube_context, "kind-zone1");
  EXPECT_TRUE(c.mesh.bootstrap);
  EXPECT_EQ(c.mesh.snapshot_interval_seconds, 120);
  EXPECT_EQ(c.mesh.snapshot_max_log, 60);
  EXPECT_EQ(c.mesh.tombstone_retention_interval_seconds, 300);
  EXPECT_EQ(c.mesh.peer_unavailable_after_seconds, 90);
  ASSERT_EQ(c.mesh.resources.size(), 1u);
  EXPECT_EQ(c.mesh.resources[0].namespace_name, "default");
  EXPECT_EQ(c.log_level, "=DEBUG");
  EXPECT_EQ(c.log_format, LogFormat::json);
}

TEST(Config, ExampleFileIsValidAndWarningFree) {
  const auto loaded =
      load_config({.config_path = std::string(MESH_SOURCE_DIR) + "/config.example.yaml"});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_TRUE(loaded->warnings.empty()) << loaded->warnings.front();
  EXPECT_EQ(loaded->config.mesh.zone, "zone1");
}

TEST(Config, KubernetesForms) {
  EXPECT_EQ(parse("kubernetes: incluster\nmesh: {zone: a}\n")->config.kubernetes.mode,
            KubernetesMode::incluster);
  EXPECT_EQ(parse("kubernetes: embedded\nmesh: {zone: a}\n")->config.kubernetes.mode,
            KubernetesMode::embedded);
  EXPECT_EQ(parse("kubernetes: {incluster: null}\nmesh: {zone: a}\n")->config.kubernetes.mode,
            KubernetesMode::incluster);
  const auto external = parse("kubernetes: {external: null}\nmesh: {zone: a}\n");
  ASSERT_TRUE(external.ok());
  EXPECT_EQ(external->config.kubernetes.mode, KubernetesMode::external);
  EXPECT_EQ(external->config.kubernetes.kube_context, "");
}

TEST(Config, ResourcesListExtendsTheSingleResource) {
  const auto loaded = parse(R"(mesh:
  zone: a
  resource: {group: dcp.hiro.io, version: v1, kind: AnyApplication, merge_strategy: anyapplication}
  resources:
    - {group: "", version: v1, kind: ConfigMap, namespace: shared}
)");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_EQ(loaded->config.mesh.resources.size(), 2u);
  EXPECT_EQ(loaded->config.mesh.resources[1].kind, "ConfigMap");
  EXPECT_EQ(loaded->config.mesh.resources[1].merge_strategy, MergeStrategy::default_strategy);
  EXPECT_EQ(loaded->config.mesh.resources[1].namespace_name, "shared");
}

TEST(Config, UnknownKeysWarnWithTheirLine) {
  const auto loaded = parse("mesh:\n  zone: a\n  zonee: b\nbind_prot: 1\n");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_EQ(loaded->warnings.size(), 2u);
  EXPECT_EQ(loaded->warnings[0], "test.yaml:4: unknown key 'bind_prot' is ignored");
  EXPECT_EQ(loaded->warnings[1], "test.yaml:3: unknown key 'mesh.zonee' is ignored");
}

TEST(Config, WrongTypesNameFileLineAndKey) {
  expect_error("mesh: {zone: a}\nbind_port: abc\n", ConfigError::wrong_type,
               "test.yaml:2: bind_port: expected an integer between 1 and 65535, found 'abc'");
  expect_error("mesh:\n  zone: a\n  bootstrap: maybe\n", ConfigError::wrong_type,
               "test.yaml:3: mesh.bootstrap: expected true or false, found 'maybe'");
  expect_error("mesh:\n  zone: [a, b]\n", ConfigError::wrong_type,
               "test.yaml:2: mesh.zone: expected a string, found a list");
  expect_error("mesh: {zone: a}\nnodes: {a: b}\n", ConfigError::wrong_type, "test.yaml:2: nodes:");
  expect_error("mesh: 5\n", ConfigError::wrong_type, "test.yaml:1: mesh: expected a mapping");
  expect_error("- a\n- b\n", ConfigError::wrong_type, "test.yaml:1: (top level)");
}

TEST(Config, BadValuesNameFileLineAndKey) {
  expect_error("mesh: {zone: a}\nhttp_bind_port: 70000\n", ConfigError::bad_value,
               "test.yaml:2: http_bind_port: must be between 1 and 65535, found 70000");
  expect_error("mesh:\n  zone: a\n  snapshot:\n    snapshot_max_log: 0\n", ConfigError::bad_value,
               "test.yaml:4: mesh.snapshot.snapshot_max_log: must be between 1");
  expect_error("mesh: {zone: a}\nkubernetes: cloud\n", ConfigError::bad_value,
               "test.yaml:2: kubernetes: expected 'auto', 'incluster'");
  expect_error("mesh: {zone: a}\nlog_level: mesh=LOUD\n", ConfigError::bad_value,
               "test.yaml:2: log_level: unknown log level 'LOUD'");
  expect_error("mesh: {zone: a}\nlog_format: xml\n", ConfigError::bad_value,
               "test.yaml:2: log_format: expected 'text' or 'json'");
  expect_error("mesh: {zone: a}\nnetwork_id: ''\n", ConfigError::bad_value,
               "test.yaml:2: network_id: must not be empty");
}

TEST(Config, MeshCipherDefaultsToChaChaPolyAndRefusesUnknownNames) {
  const auto loaded = parse("mesh:\n  zone: zone1\n");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value().config.mesh.cipher, engine::noise::Cipher::chacha_poly);
  expect_error("mesh:\n  zone: a\n  cipher: AES\n", ConfigError::bad_value,
               "test.yaml:3: mesh.cipher: expected chachapoly or aesgcm, found 'AES'");
  if (!engine::noise::cipher_available(engine::noise::Cipher::aes_gcm)) return;
  const auto aes = parse("mesh:\n  zone: zone1\n  cipher: aesgcm\n");
  ASSERT_TRUE(aes.ok()) << aes.error().message;
  EXPECT_EQ(aes.value().config.mesh.cipher, engine::noise::Cipher::aes_gcm);
}

// mesh.status_write_delay_ms and mesh.publish_delay_ms: the engine's defaults, 0 allowed, a
// second at most, integers only.
TEST(Config, DelaysDefaultToTheEnginesAndAreBounded) {
  struct Delay {
    std::string key;
    std::int64_t config::MeshConfig::*field;
    Duration engine_default;
  };
  const Delay delays[] = {{"status_write_delay_ms", &config::MeshConfig::status_write_delay_ms,
                           engine::Config().status_write_delay},
                          {"publish_delay_ms", &config::MeshConfig::publish_delay_ms,
                           engine::Config().publish_delay}};
  for (const Delay& delay : delays) {
    SCOPED_TRACE(delay.key);
    const auto loaded = parse("mesh:\n  zone: zone1\n");
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded.value().config.mesh.*delay.field, 20);
    EXPECT_EQ(mesh::Duration::from_ms(loaded.value().config.mesh.*delay.field),
              delay.engine_default)
        << "the controller's default is the engine's";
    const auto zero = parse("mesh:\n  zone: zone1\n  " + delay.key + ": 0\n");
    ASSERT_TRUE(zero.ok()) << zero.error().message;
    EXPECT_EQ(zero.value().config.mesh.*delay.field, 0);
    const std::string where = "test.yaml:3: mesh." + delay.key + ": ";
    expect_error("mesh:\n  zone: a\n  " + delay.key + ": 1001\n", ConfigError::bad_value,
                 where + "must be between 0 and 1000");
    expect_error("mesh:\n  zone: a\n  " + delay.key + ": -1\n", ConfigError::bad_value,
                 where + "must be between 0 and 1000");
    expect_error("mesh:\n  zone: a\n  " + delay.key + ": x\n", ConfigError::wrong_type,
                 where + "expected an integer between 0 and 1000, found 'x'");
  }
}

TEST(Config, RelayDefaultsToTheEnginesAndRefusesUnknownNames) {
  const auto loaded = parse("mesh:\n  zone: zone1\n");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value().config.mesh.relay, engine::Config().relay)
      << "the controller's default is the engine's";
  const auto all = parse("mesh:\n  zone: zone1\n  relay: all\n");
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all.value().config.mesh.relay, engine::RelayMode::all);
  expect_error("mesh:\n  zone: a\n  relay: some\n", ConfigError::bad_value,
               "test.yaml:3: mesh.relay: expected all or sparse, found 'some'");
}

TEST(Config, BadNodesNameTheEntry) {
  expect_error("mesh: {zone: a}\nnodes:\n  - public_key: abc\n    endpoints: []\n",
               ConfigError::bad_value, "test.yaml:3: nodes[0].public_key: public key: expected 64");
  expect_error("mesh: {zone: a}\nnodes:\n  - endpoints: []\n", ConfigError::missing,
               "nodes[0].public_key: required");
  expect_error("mesh: {zone: a}\nnodes:\n  - public_key: " + valid_key +
                   "\n    endpoints:\n      - zone2.example.net\n",
               ConfigError::bad_value,
               "test.yaml:5: nodes[0].endpoints[0]: 'zone2.example.net': expected 'host:port'");
  expect_error(
      "mesh: {zone: a}\nnodes:\n  - public_key: " + valid_key + "\n    endpoints: ['h:99999']\n",
      ConfigError::bad_value, "port '99999' is not between 1 and 65535");
  expect_error("mesh: {zone: a}\nnodes:\n  - public_key: " + valid_key +
                   "\n    endpoints: ['2001:db8::1:9102']\n",
               ConfigError::bad_value, "IPv6 address must be written in brackets");
}

TEST(Config, BadResourcesNameTheEntry) {
  expect_error("mesh:\n  zone: a\n  resource: {group: g, kind: K}\n", ConfigError::missing,
               "test.yaml:3: mesh.resource.version: required");
  expect_error("mesh:\n  zone: a\n  resource: {version: v1, kind: K, merge_strategy: lww}\n",
               ConfigError::bad_value, "mesh.resource.merge_strategy: expected 'default'");
  expect_error(
      "mesh:\n  zone: a\n  resource: {version: v1, kind: K, merge_strategy: anyapplication}\n",
      ConfigError::bad_value, "needs kind AnyApplication");
  expect_error(
      "mesh:\n  zone: a\n  resources:\n    - {version: v1, kind: K}\n"
      "    - {version: v2, kind: K}\n",
      ConfigError::bad_value, "test.yaml:5: mesh.resources[1]: kind K of group ''");
}

TEST(Config, ProtocolSectionNeedsBothKeys) {
  expect_error("mesh: {zone: a}\nprotocol:\n  poll_interval_seconds: 1\n", ConfigError::missing,
               "protocol.resync_interval_seconds: required when 'protocol' is present");
}

TEST(Config, ZoneIsRequired) {
  expect_error("bind_port: 1\n", ConfigError::missing, "mesh.zone: required");
}

TEST(Config, SyntaxErrorNamesTheLine) {
  expect_error("mesh:\n  zone: a\n  bad: [unclosed\n", ConfigError::syntax, "test.yaml:");
}

TEST(Config, PrecedenceDefaultsFileEnvironmentCommandLine) {
  TempDir dir;
  const std::string path =
      dir.write("c.yaml",
                "bind_port: 9200\nhttp_bind_port: 8080\nlog_level: =WARN\n"
                "mesh:\n  zone: from-file\n  snapshot:\n    snapshot_max_log: 10\n");
  LoadOptions options{.config_path = path,
                      .environment = {{"HTTP_BIND_PORT", "8181"},
                                      {"MESH__ZONE", "from-env"},
                                      {"MESH__SNAPSHOT__SNAPSHOT_INTERVAL_SECONDS", "42"},
                                      {"LOG_LEVEL", "=ERROR"}},
                      .command_line = {.private_key_path = "/cli/key", .log_level = "=TRACE"}};
  const auto loaded = load_config(options);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const ControllerConfig& c = loaded->config;
  EXPECT_EQ(c.bind_port, 9200);                     // file beats default
  EXPECT_EQ(c.http_bind_port, 8181);                // environment beats file
  EXPECT_EQ(c.mesh.zone, "from-env");               // nested environment override
  EXPECT_EQ(c.mesh.snapshot_interval_seconds, 42);  // env creates a missing section key
  EXPECT_EQ(c.mesh.snapshot_max_log, 10);           // sibling from the file survives
  EXPECT_EQ(c.log_level, "=TRACE");                 // command line beats environment
  EXPECT_EQ(c.private_key_path, "/cli/key");        // command line beats default
  EXPECT_EQ(c.network_id, "default-network-1");     // default survives
}

TEST(Config, BadEnvironmentValueNamesTheVariable) {
  TempDir dir;
  const std::string path = dir.write("c.yaml", "mesh: {zone: a}\n");
  const auto loaded = load_config({.config_path = path, .environment = {{"BIND_PORT", "ninety"}}});
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("environment variable BIND_PORT: bind_port: expected an "
                                        "integer"),
            std::string::npos)
      << loaded.error().message;
}

// The file sets the key too (validly): the error is the override's, not the file line's.
TEST(Config, BadEnvironmentValueOverAFileValueNamesTheVariable) {
  TempDir dir;
  const std::string path =
      dir.write("c.yaml", "bind_port: 9102\nmesh: {zone: a, cipher: chachapoly}\n");
  for (const auto& [name, key] : {std::pair<std::string, std::string>{"BIND_PORT", "bind_port"},
                                  {"MESH__CIPHER", "mesh.cipher"}}) {
    const auto loaded = load_config({.config_path = path, .environment = {{name, "ninety"}}});
    ASSERT_FALSE(loaded.ok()) << name;
    EXPECT_EQ(loaded.error().message.find("environment variable " + name + ": " + key + ": "), 0u)
        << loaded.error().message;
  }
}

TEST(Config, PrivateKeyEnvironmentIsCarriedForTheKeyLoader) {
  TempDir dir;
  const std::string path = dir.write("c.yaml", "mesh: {zone: a}\n");
  const auto loaded = load_config({.config_path = path, .environment = {{"PRIVATE_KEY", "ab"}}});
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->private_key_from_environment, "ab");
}

TEST(Config, MissingExplicitFileIsAnError) {
  const auto loaded = load_config({.config_path = "/nonexistent/mesh.yaml"});
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, ConfigError::file_unreadable);
  EXPECT_NE(loaded.error().message.find("/nonexistent/mesh.yaml"), std::string::npos);
}

TEST(Config, SearchesWorkingDirectoryThenXdgConfigHome) {
  TempDir dir;
  fs::create_directories(dir.path() / "xdg" / "mesh");
  dir.write("xdg/mesh/config.yaml", "mesh: {zone: from-xdg}\n");
  const LoadOptions options{.environment = {{"XDG_CONFIG_HOME", (dir.path() / "xdg").string()}},
                            .working_directory = dir.path().string()};
  EXPECT_EQ(load_config(options)->config.mesh.zone, "from-xdg");
  dir.write("config.yaml", "mesh: {zone: from-cwd}\n");
  EXPECT_EQ(load_config(options)->config.mesh.zone, "from-cwd");
}

TEST(Config, NoFileAnywhereMeansDefaultsPlusEnvironment) {
  TempDir dir;
  const auto loaded =
      load_config({.environment = {{"MESH__ZONE", "z"}}, .working_directory = dir.path().string()});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->source, "defaults");
  EXPECT_EQ(loaded->config.mesh.zone, "z");
}

TEST(Config, EnvironmentCannotOverrideThroughAScalar) {
  TempDir dir;
  const std::string path = dir.write("c.yaml", "mesh: 7\n");
  const auto loaded = load_config({.config_path = path, .environment = {{"MESH__ZONE", "z"}}});
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("MESH__ZONE"), std::string::npos);
}

}  // namespace
}  // namespace mesh::config
