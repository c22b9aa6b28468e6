// The mesh-controller subcommands, callable from tests with their own output streams.
//
// Each returns the process exit code (io_real/cli.h: exit_ok, exit_failure, exit_usage) and
// writes command output to `out`, diagnostics to `err`.
#pragma once

#include <iosfwd>
#include <map>
#include <string>

#include "io_real/cli.h"

namespace mesh::io_real {

struct CommandContext {
  std::map<std::string, std::string> environment;  // for PRIVATE_KEY and config overrides
  std::string working_directory = ".";
};

int command_keygen(const CliOptions& options, std::ostream& out, std::ostream& err);
int command_pubkey(const CliOptions& options, const CommandContext& context, std::ostream& out,
                   std::ostream& err);
int command_crds(std::ostream& out);
int command_check_config(const CliOptions& options, const CommandContext& context,
                         std::ostream& out, std::ostream& err);
int command_version(std::ostream& out);

// Runs the controller until SIGTERM or SIGINT.
int command_run(const CliOptions& options, const CommandContext& context, std::ostream& err);

// Dispatches to the command that `options` names.
int run_cli(const CliOptions& options, const CommandContext& context, std::ostream& out,
            std::ostream& err);

}  // namespace mesh::io_real
