#include "config/log_filter.h"

#include <gtest/gtest.h>

namespace mesh::config {
namespace {

LogFilter parse(std::string_view text) {
  auto filter = parse_log_filter(text);
  EXPECT_TRUE(filter.ok()) << text;
  return filter.ok() ? filter.value() : LogFilter();
}

TEST(LogFilter, EqualsLevelAppliesToEveryTarget) {
  const LogFilter filter = parse("=DEBUG");
  EXPECT_EQ(filter.level_for("mesh"), LogLevel::debug);
  EXPECT_EQ(filter.level_for("other"), LogLevel::debug);
}

TEST(LogFilter, BareLevelAppliesToMeshAndItsChildren) {
  const LogFilter filter = parse("TRACE");
  EXPECT_EQ(filter.level_for("mesh"), LogLevel::trace);
  EXPECT_EQ(filter.level_for("mesh::engine"), LogLevel::trace);
  EXPECT_EQ(filter.level_for("meshy"), LogLevel::info);  // prefix must end at "::"
  EXPECT_EQ(filter.level_for("other"), LogLevel::info);
}

TEST(LogFilter, LongestTargetWins) {
  const LogFilter filter = parse("=WARN, mesh=info ,mesh::sim=trace");
  EXPECT_EQ(filter.level_for("mesh::sim"), LogLevel::trace);
  EXPECT_EQ(filter.level_for("mesh::sim::net"), LogLevel::trace);
  EXPECT_EQ(filter.level_for("mesh::engine"), LogLevel::info);
  EXPECT_EQ(filter.level_for("kube"), LogLevel::warn);
}

TEST(LogFilter, LevelsAreCaseInsensitiveAndIncludeOff) {
  EXPECT_EQ(parse("mesh=Off").level_for("mesh"), LogLevel::off);
  EXPECT_EQ(parse("mesh=warning").level_for("mesh"), LogLevel::warn);
}

TEST(LogFilter, RejectsUnknownLevelsAndEmptyFilters) {
  EXPECT_EQ(parse_log_filter("mesh=LOUD").error().code, LogFilterError::bad_level);
  EXPECT_EQ(parse_log_filter("").error().code, LogFilterError::bad_directive);
  EXPECT_EQ(parse_log_filter(" , ").error().code, LogFilterError::bad_directive);
  EXPECT_EQ(parse_log_filter("me sh=info").error().code, LogFilterError::bad_directive);
}

}  // namespace
}  // namespace mesh::config
