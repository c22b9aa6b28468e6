// The production runtime of mesh-controller: drives the engine with real time, signals and
// (as the real-world layers land) TCP, HTTP and the Kubernetes API.
//
// NB: this phase builds the simulation-first core; the runtime today loads the identity and
// configuration, reports them, and shuts down cleanly on SIGTERM/SIGINT. The Asio transport,
// HTTP endpoints and kube_real are the next phase (docs/roadmap.md).
#pragma once

#include "config/config.h"
#include "engine/identity.h"

namespace mesh::io_real {

struct RuntimeOptions {
  config::ControllerConfig config;
  engine::Identity identity;
};

// Runs until SIGTERM or SIGINT; returns the process exit code.
int run_runtime(const RuntimeOptions& options);

}  // namespace mesh::io_real
