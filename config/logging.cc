#include "config/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>

namespace mesh::config {

namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::trace: return spdlog::level::trace;
    case LogLevel::debug: return spdlog::level::debug;
    case LogLevel::info: return spdlog::level::info;
    case LogLevel::warn: return spdlog::level::warn;
    case LogLevel::error: return spdlog::level::err;
    case LogLevel::off: return spdlog::level::off;
  }
  MESH_UNREACHABLE();
}

// One JSON object per line. Hand-written because spdlog's pattern language cannot escape a
// message for JSON; nlohmann::json does the escaping.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = message.time.time_since_epoch();
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count();
    nlohmann::json line = {
        {"ts", static_cast<double>(micros) / 1e6},
        {"level", std::string(spdlog::level::to_string_view(message.level).data(),
                              spdlog::level::to_string_view(message.level).size())},
        {"target", std::string(message.logger_name.data(), message.logger_name.size())},
        {"msg", std::string(message.payload.data(), message.payload.size())},
    };
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

struct LoggingState {
  std::mutex mutex;
  LogFilter filter{{LogDirective{.target = "", .level = LogLevel::info}}};
  LogFormat format = LogFormat::text;
  spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
};

LoggingState& state() {
  static LoggingState instance;
  return instance;
}

void configure(spdlog::logger& log, const LoggingState& current) {
  log.set_level(to_spdlog(current.filter.level_for(log.name())));
  if (current.format == LogFormat::json) {
    log.set_formatter(std::make_unique<JsonFormatter>());
  } else {
    log.set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ %n: %v", spdlog::pattern_time_type::utc));
  }
}

}  // namespace

void setup_logging(const LogFilter& filter, LogFormat format, spdlog::sink_ptr sink) {
  LoggingState& current = state();
  const std::lock_guard lock(current.mutex);
  current.filter = filter;
  current.format = format;
  if (sink) current.sink = std::move(sink);
  spdlog::apply_all(
      [&current](const std::shared_ptr<spdlog::logger>& log) { configure(*log, current); });
}

std::shared_ptr<spdlog::logger> logger(std::string_view target) {
  LoggingState& current = state();
  const std::lock_guard lock(current.mutex);
  const std::string name(target);
  if (auto existing = spdlog::get(name)) return existing;
  auto created = std::make_shared<spdlog::logger>(name, current.sink);
  configure(*created, current);
  spdlog::register_logger(created);
  return created;
}

}  // namespace mesh::config
