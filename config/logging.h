// Process-wide logging for the drivers (mesh-controller, mesh-sim) on top of spdlog.
//
// Loggers are named by target (`mesh`, `mesh::engine`, `mesh::kube`, `mesh::http`,
// `mesh::sim`); the seed-syntax filter (config/log_filter.h) sets each target's level. Text
// format is human-readable; JSON format writes one object per line with the fields ts, level,
// target and msg, for log collectors. Everything goes to stderr, leaving stdout to command
// output (`pubkey`, `crds`).
//
//   setup_logging(filter, LogFormat::json);
//   logger("mesh")->info("started, zone {}", zone);
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

#include "config/config.h"
#include "config/log_filter.h"

namespace mesh::config {

// Replaces the filter and format of every existing and future logger. `sink` replaces the
// stderr sink for loggers created afterwards (tests capture output this way).
void setup_logging(const LogFilter& filter, LogFormat format, spdlog::sink_ptr sink = nullptr);

// The logger of `target`, created on first use with the filter's level for it.
std::shared_ptr<spdlog::logger> logger(std::string_view target);

}  // namespace mesh::config
