#include "io_real/runtime.h"

// Boost 1.74's Asio uses std::exchange in its C++20 awaitable support without including
// <utility> itself; g++ 12 no longer includes it transitively.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdlib>

#include "config/logging.h"

namespace mesh::io_real {

namespace {

config::KubernetesMode resolve_kubernetes_mode(config::KubernetesMode mode) {
  if (mode != config::KubernetesMode::automatic) return mode;
  // Inside a pod the service host is always set; anywhere else the embedded server is the
  // useful default.
  return std::getenv("KUBERNETES_SERVICE_HOST") != nullptr ? config::KubernetesMode::incluster
                                                           : config::KubernetesMode::embedded;
}

}  // namespace

int run_runtime(const RuntimeOptions& options) {
  const auto log = config::logger("mesh");
  const config::ControllerConfig& c = options.config;
  const config::KubernetesMode kubernetes = resolve_kubernetes_mode(c.kubernetes.mode);
  log->info("mesh-controller starting: public key {}, zone {}, network {}",
            options.identity.public_key().hex(), c.mesh.zone, c.network_id);
  log->info(
      "mesh port {}, http port {}, kubernetes {}, {} configured peer(s), {} replicated kind(s)",
      c.bind_port, c.http_bind_port, config::to_string(kubernetes), c.nodes.size(),
      c.mesh.resources.size());

  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  int received_signal = 0;
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (!error) received_signal = signal_number;
    io.stop();
  });
  log->info("running; send SIGTERM or SIGINT to stop");
  io.run();
  log->info("received {}, shutting down", received_signal == SIGTERM ? "SIGTERM" : "SIGINT");
  return 0;
}

}  // namespace mesh::io_real
