#include "config/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace mesh::config {
namespace {

TEST(Logging, JsonFormatWritesOneObjectPerLineWithEscaping) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  setup_logging(parse_log_filter("=INFO").value(), LogFormat::json, sink);
  const auto log = logger("mesh::logging_test_json");
  log->info("quote \" and newline \n inside");
  log->debug("filtered out");
  log->flush();
  std::istringstream lines(out.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed.at("level"), "info");
  EXPECT_EQ(parsed.at("target"), "mesh::logging_test_json");
  EXPECT_EQ(parsed.at("msg"), "quote \" and newline \n inside");
  EXPECT_TRUE(parsed.at("ts").is_number());
  EXPECT_FALSE(std::getline(lines, line)) << "debug line passed an INFO filter: " << line;
}

TEST(Logging, FilterAppliesPerTarget) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  setup_logging(parse_log_filter("=WARN,mesh::logging_test_loud=DEBUG").value(), LogFormat::text,
                sink);
  logger("mesh::logging_test_loud")->debug("loud-debug");
  logger("mesh::logging_test_quiet")->info("quiet-info");
  logger("mesh::logging_test_quiet")->warn("quiet-warn");
  EXPECT_NE(out.str().find("loud-debug"), std::string::npos);
  EXPECT_EQ(out.str().find("quiet-info"), std::string::npos);
  EXPECT_NE(out.str().find("quiet-warn"), std::string::npos);
}

}  // namespace
}  // namespace mesh::config
