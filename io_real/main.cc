// mesh-controller: one controller of the mesh. See io_real/cli.h for the command line.
#include <iostream>
#include <string>
#include <vector>

#include "config/config.h"
#include "io_real/cli.h"
#include "io_real/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> arguments;
  for (int index = 1; index < argc; index++) arguments.emplace_back(argv[index]);
  auto options = mesh::io_real::parse_cli(arguments);
  if (!options.ok()) {
    const auto& exit = options.error();
    (exit.exit_code == 0 ? std::cout : std::cerr) << exit.text;
    return exit.exit_code;
  }
  const mesh::io_real::CommandContext context{.environment = mesh::config::process_environment(),
                                              .working_directory = "."};
  return mesh::io_real::run_cli(options.value(), context, std::cout, std::cerr);
}
