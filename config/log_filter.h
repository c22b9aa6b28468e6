// Log filters in the seed's syntax (a subset of tracing's EnvFilter):
//
//   "=DEBUG"                 every target at DEBUG
//   "DEBUG"                  target `mesh` (and its children) at DEBUG, the rest at the default
//   "mesh=DEBUG"             one target and its children (`mesh::engine` is a child of `mesh`)
//   "=WARN,mesh::sim=TRACE"  comma-separated directives; the longest matching target wins
//
// Levels: trace, debug, info, warn, error, off (any case). Targets not matched by a directive
// log at INFO, which is the seed's effective default (`mesh=INFO`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/result.h"

namespace mesh::config {

enum class LogLevel { trace, debug, info, warn, error, off };

enum class LogFilterError { bad_level, bad_directive };

struct LogDirective {
  std::string target;  // "" matches every target
  LogLevel level = LogLevel::info;
};

class LogFilter {
 public:
  LogFilter() = default;
  explicit LogFilter(std::vector<LogDirective> directives);

  // The level at which `target` logs: the directive with the longest matching target prefix,
  // matched on `::` boundaries.
  LogLevel level_for(std::string_view target) const;
  const std::vector<LogDirective>& directives() const { return directives_; }

 private:
  std::vector<LogDirective> directives_;
};

Result<LogFilter, Error<LogFilterError>> parse_log_filter(std::string_view text);
Result<LogLevel, Error<LogFilterError>> parse_log_level(std::string_view text);
const char* to_string(LogLevel level);

}  // namespace mesh::config
