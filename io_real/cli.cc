#include "io_real/cli.h"

#include <CLI/CLI.hpp>

#include <sstream>

namespace mesh::io_real {

namespace {

const char* const description =
    "mesh-controller: replicates AnyApplication and MeshPeer objects between Kubernetes\n"
    "clusters, peer to peer. Without a subcommand it runs the controller.";

}  // namespace

Result<CliOptions, CliExit> parse_cli(const std::vector<std::string>& arguments) {
  CliOptions options;
  CLI::App app(description, "mesh-controller");
  app.set_help_all_flag("--help-all", "Print help for every subcommand and exit");
  app.option_defaults()->always_capture_default();
  app.add_option("-c,--config", options.config_path,
                 "Config file (YAML). Default: ./config.yaml, then "
                 "$XDG_CONFIG_HOME/mesh/config.yaml, then built-in defaults")
      ->type_name("PATH");
  app.add_option("-k,--private-key-path", options.private_key_path,
                 "Private key file (hex Ed25519 seed); overrides private_key_path. "
                 "$PRIVATE_KEY, when set, wins over any file")
      ->type_name("PATH");
  app.add_option("-l,--log-level", options.log_level,
                 "Log filter: LEVEL, =LEVEL (all targets) or target=LEVEL[,...]; "
                 "overrides log_level")
      ->type_name("FILTER");

  CLI::App* keygen = app.add_subcommand("keygen", "Generate a new private key file (mode 0600)");
  keygen->add_option("-o,--output", options.output_path, "Where to write the key (must not exist)")
      ->required()
      ->type_name("FILE");
  CLI::App* pubkey = app.add_subcommand("pubkey", "Print the public key of a private key file");
  pubkey->add_option("-k,--private-key-path", options.private_key_path, "Private key file")
      ->type_name("FILE");
  CLI::App* crds = app.add_subcommand(
      "crds", "Print the CRDs (meshpeers.dcp.hiro.io, anyapplications.dcp.hiro.io) as YAML");
  CLI::App* check = app.add_subcommand("check-config",
                                       "Validate the configuration and print the effective values");
  check->add_option("-c,--config", options.config_path, "Config file (YAML)")->type_name("PATH");
  CLI::App* version = app.add_subcommand("version", "Print the version");
  app.require_subcommand(0, 1);

  std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& error) {
    std::ostringstream out;
    std::ostringstream err;
    const int code = app.exit(error, out, err);
    CliExit exit{.exit_code = code == 0 ? exit_ok : exit_usage, .text = out.str() + err.str()};
    return fail(std::move(exit));
  }
  if (keygen->parsed()) options.command = Command::keygen;
  if (pubkey->parsed()) options.command = Command::pubkey;
  if (crds->parsed()) options.command = Command::crds;
  if (check->parsed()) options.command = Command::check_config;
  if (version->parsed()) options.command = Command::version;
  return options;
}

}  // namespace mesh::io_real
