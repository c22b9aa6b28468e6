#include "io_real/commands.h"

#include <ostream>

#include "config/config.h"
#include "config/key_file.h"
#include "config/log_filter.h"
#include "config/logging.h"
#include "io_real/runtime.h"
#include "kube_sim/crds.h"

#ifndef MESH_VERSION
#define MESH_VERSION "0.0.0-unknown"
#endif

namespace mesh::io_real {

namespace {

config::LoadOptions load_options(const CliOptions& options, const CommandContext& context) {
  return config::LoadOptions{
      .config_path = options.config_path,
      .environment = context.environment,
      .command_line = {.private_key_path = options.private_key_path,
                       .log_level = options.log_level},
      .working_directory = context.working_directory,
  };
}

// The key named by $PRIVATE_KEY (which wins, as in the seed) or else by the key file path.
Result<engine::SecretSeed, config::KeyFileFailure> load_identity_seed(
    const std::map<std::string, std::string>& environment, const std::string& key_path) {
  const auto from_environment = environment.find("PRIVATE_KEY");
  if (from_environment != environment.end()) {
    return config::parse_private_key_environment(from_environment->second);
  }
  return config::load_private_key(key_path);
}

void print_effective_config(const config::LoadedConfig& loaded, std::ostream& out) {
  const config::ControllerConfig& c = loaded.config;
  out << "# effective configuration (source: " << loaded.source << ")\n"
      << "bind_port: " << c.bind_port << "\n"
      << "http_bind_port: " << c.http_bind_port << "\n"
      << "network_id: " << c.network_id << "\n"
      << "private_key_path: " << c.private_key_path << "\n"
      << "nodes: " << c.nodes.size() << " configured\n"
      << "protocol: {poll_interval_seconds: " << c.poll_interval_seconds
      << ", resync_interval_seconds: " << c.resync_interval_seconds << "}\n"
      << "discovery: {query_interval_seconds: " << c.query_interval_seconds << "}\n"
      << "kubernetes: " << config::to_string(c.kubernetes.mode)
      << (c.kubernetes.kube_context.empty() ? "" : " (context " + c.kubernetes.kube_context + ")")
      << "\n"
      << "mesh:\n"
      << "  zone: " << c.mesh.zone << "\n"
      << "  bootstrap: " << (c.mesh.bootstrap ? "true" : "false") << "\n"
      << "  cipher: " << engine::noise::cipher_config_name(c.mesh.cipher) << "\n"
      << "  status_write_delay_ms: " << c.mesh.status_write_delay_ms << "\n"
      << "  publish_delay_ms: " << c.mesh.publish_delay_ms << "\n"
      << "  relay: " << engine::relay_mode_name(c.mesh.relay) << "\n"
      << "  snapshot: {snapshot_interval_seconds: " << c.mesh.snapshot_interval_seconds
      << ", snapshot_max_log: " << c.mesh.snapshot_max_log << "}\n"
      << "  tombstone: {tombstone_retention_interval_seconds: "
      << c.mesh.tombstone_retention_interval_seconds << "}\n"
      << "  peer_timeout: {peer_unavailable_after_seconds: "
      << c.mesh.peer_unavailable_after_seconds << "}\n"
      << "  resources:\n";
  for (const config::ResourceConfig& r : c.mesh.resources) {
    out << "  - {group: '" << r.group << "', version: " << r.version << ", kind: " << r.kind
        << ", namespace: " << r.namespace_name.value_or("(all)")
        << ", merge_strategy: " << config::to_string(r.merge_strategy) << "}\n";
  }
  out << "log_level: " << c.log_level << "\n"
      << "log_format: " << (c.log_format == config::LogFormat::json ? "json" : "text") << "\n";
}

}  // namespace

int command_keygen(const CliOptions& options, std::ostream& out, std::ostream& err) {
  const engine::SecretSeed seed = config::generate_secret_seed();
  const auto written = config::write_private_key(options.output_path, seed);
  if (!written.ok()) {
    err << "error: " << written.error().message << "\n";
    return exit_failure;
  }
  out << engine::Identity(seed).public_key().hex() << "\n";
  return exit_ok;
}

int command_pubkey(const CliOptions& options, const CommandContext& context, std::ostream& out,
                   std::ostream& err) {
  Result<engine::SecretSeed, config::KeyFileFailure> seed =
      fail(config::KeyFileError::unreadable, std::string("no key"));
  if (options.private_key_path) {
    seed = config::load_private_key(*options.private_key_path);
  } else {
    // Without -k, show the key the controller itself would use.
    const auto loaded = config::load_config(load_options(options, context));
    const std::string key_path = loaded.ok() ? loaded->config.private_key_path : "private.key";
    seed = load_identity_seed(context.environment, key_path);
  }
  if (!seed.ok()) {
    err << "error: " << seed.error().message << "\n";
    return exit_usage;
  }
  out << engine::Identity(seed.value()).public_key().hex() << "\n";
  return exit_ok;
}

int command_crds(std::ostream& out) {
  out << kube_sim::meshpeer_crd_yaml();
  out << "---\n";
  out << kube_sim::anyapplication_crd_yaml();
  return exit_ok;
}

int command_check_config(const CliOptions& options, const CommandContext& context,
                         std::ostream& out, std::ostream& err) {
  const auto loaded = config::load_config(load_options(options, context));
  if (!loaded.ok()) {
    err << "error: " << loaded.error().message << "\n";
    return exit_usage;
  }
  for (const std::string& warning : loaded->warnings) err << "warning: " << warning << "\n";
  print_effective_config(loaded.value(), out);
  return exit_ok;
}

int command_version(std::ostream& out) {
  out << "mesh-controller " << MESH_VERSION << "\n";
  return exit_ok;
}

int command_run(const CliOptions& options, const CommandContext& context, std::ostream& err) {
  auto loaded = config::load_config(load_options(options, context));
  if (!loaded.ok()) {
    err << "error: " << loaded.error().message << "\n";
    return exit_usage;
  }
  // The filter was validated while loading, so parsing cannot fail here.
  const auto filter = config::parse_log_filter(loaded->config.log_level);
  MESH_ASSERT(filter.ok());
  config::setup_logging(filter.value(), loaded->config.log_format);
  const auto log = config::logger("mesh");
  for (const std::string& warning : loaded->warnings) log->warn("config: {}", warning);

  const auto seed = load_identity_seed(context.environment, loaded->config.private_key_path);
  if (!seed.ok()) {
    log->error("{}", seed.error().message);
    return exit_usage;
  }
  return run_runtime(RuntimeOptions{.config = std::move(loaded).value().config,
                                    .identity = engine::Identity(seed.value())});
}

int run_cli(const CliOptions& options, const CommandContext& context, std::ostream& out,
            std::ostream& err) {
  switch (options.command) {
    case Command::run: return command_run(options, context, err);
    case Command::keygen: return command_keygen(options, out, err);
    case Command::pubkey: return command_pubkey(options, context, out, err);
    case Command::crds: return command_crds(out);
    case Command::check_config: return command_check_config(options, context, out, err);
    case Command::version: return command_version(out);
  }
  MESH_UNREACHABLE();
}

}  // namespace mesh::io_real
