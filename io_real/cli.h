// The mesh-controller command line (CLI11), seed-compatible:
//
//   mesh-controller [-c CONFIG] [-k KEY_FILE] [-l LOG_FILTER]     run the controller
//   mesh-controller keygen -o FILE                                new key (mode 0600)
//   mesh-controller pubkey -k FILE                                print the public key
//   mesh-controller crds                                          print the CRDs as YAML
//   mesh-controller check-config [-c CONFIG]                      validate, print effective config
//   mesh-controller version
//
// Parsing is separate from running so tests can check every case without a process.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/result.h"

namespace mesh::io_real {

enum class Command { run, keygen, pubkey, crds, check_config, version };

struct CliOptions {
  Command command = Command::run;
  std::optional<std::string> config_path;
  std::optional<std::string> private_key_path;
  std::optional<std::string> log_level;
  std::string output_path;  // keygen -o
};

// Help, version requests and usage errors end parsing with a text to print and an exit code:
// 0 for --help, 2 for a usage error (the text then names the problem).
struct CliExit {
  int exit_code = 0;
  std::string text;
};

Result<CliOptions, CliExit> parse_cli(const std::vector<std::string>& arguments);

// Exit codes of mesh-controller.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;  // runtime failure (cannot bind, API server gone, ...)
inline constexpr int exit_usage = 2;    // bad command line, config or key

}  // namespace mesh::io_real
