// mesh-sim: runs scenario files against many simulated clusters.
#include <CLI/CLI.hpp>

#include <iostream>

#ifndef MESH_VERSION
#define MESH_VERSION "0.0.0-unknown"
#endif

int main(int argc, char** argv) {
  CLI::App app("mesh-sim: deterministic simulator of a mesh of clusters", "mesh-sim");
  CLI::App* version = app.add_subcommand("version", "Print the version");
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  if (version->parsed()) std::cout << "mesh-sim " << MESH_VERSION << "\n";
  return 0;
}
