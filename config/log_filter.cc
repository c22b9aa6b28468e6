#include "config/log_filter.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace mesh::config {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return text;
}

bool target_matches(std::string_view directive_target, std::string_view target) {
  if (directive_target.empty()) return true;
  if (!target.starts_with(directive_target)) return false;
  const std::string_view rest = target.substr(directive_target.size());
  return rest.empty() || rest.starts_with("::");
}

bool is_valid_target(std::string_view target) {
  return std::all_of(target.begin(), target.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':' || c == '-';
  });
}

}  // namespace

LogFilter::LogFilter(std::vector<LogDirective> directives) : directives_(std::move(directives)) {}

LogLevel LogFilter::level_for(std::string_view target) const {
  LogLevel level = LogLevel::info;
  std::size_t best_size = 0;
  bool matched = false;
  for (const LogDirective& directive : directives_) {
    if (!target_matches(directive.target, target)) continue;
    // Later directives of equal specificity win, as in EnvFilter.
    if (!matched || directive.target.size() >= best_size) {
      level = directive.level;
      best_size = directive.target.size();
      matched = true;
    }
  }
  return level;
}

Result<LogLevel, Error<LogFilterError>> parse_log_level(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, LogLevel>, 7> names = {{
      {"trace", LogLevel::trace},
      {"debug", LogLevel::debug},
      {"info", LogLevel::info},
      {"warn", LogLevel::warn},
      {"warning", LogLevel::warn},
      {"error", LogLevel::error},
      {"off", LogLevel::off},
  }};
  std::string lower(trim(text));
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  for (const auto& [name, level] : names) {
    if (lower == name) return level;
  }
  return fail(LogFilterError::bad_level, "unknown log level '" + std::string(text) +
                                             "' (expected trace, debug, info, warn, error or off)");
}

Result<LogFilter, Error<LogFilterError>> parse_log_filter(std::string_view text) {
  std::vector<LogDirective> directives;
  std::string_view rest = text;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    if (!item.empty()) {
      const std::size_t equals = item.find('=');
      LogDirective directive;
      if (equals == std::string_view::npos) {
        // A bare level applies to our own target, as the seed's `mesh=LEVEL` rewrite does.
        directive.target = "mesh";
        MESH_TRY(directive.level, parse_log_level(item));
      } else {
        directive.target = std::string(trim(item.substr(0, equals)));
        if (!is_valid_target(directive.target)) {
          return fail(LogFilterError::bad_directive,
                      "bad log target '" + directive.target + "' in '" + std::string(item) + "'");
        }
        MESH_TRY(directive.level, parse_log_level(item.substr(equals + 1)));
      }
      directives.push_back(std::move(directive));
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (directives.empty()) {
    return fail(LogFilterError::bad_directive, "empty log filter");
  }
  return LogFilter(std::move(directives));
}

const char* to_string(LogLevel level) {
  switch (level) {
    case LogLevel::trace: return "trace";
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
    case LogLevel::off: return "off";
  }
  MESH_UNREACHABLE();
}

}  // namespace mesh::config
