#include "engine/result.h"

#include <gtest/gtest.h>

#include <string>

namespace mesh {
namespace {

enum class TestError { bad, worse };

Result<int, Error<TestError>> parse_positive(int value) {
  if (value <= 0) return fail(TestError::bad, "not positive: " + std::to_string(value));
  return value;
}

Result<int, Error<TestError>> double_positive(int value) {
  MESH_TRY(const int parsed, parse_positive(value));
  return parsed * 2;
}

Result<void, Error<TestError>> check_positive(int value) {
  MESH_TRY_VOID(parse_positive(value));
  return {};
}

TEST(Result, ValueAndErrorAlternatives) {
  const auto good = parse_positive(3);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);
  const auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, TestError::bad);
  EXPECT_EQ(bad.error().message, "not positive: -1");
}

TEST(Result, TryPropagatesErrorsUnchanged) {
  EXPECT_EQ(*double_positive(4), 8);
  const auto failed = double_positive(0);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "not positive: 0");
  EXPECT_TRUE(check_positive(1).ok());
  EXPECT_FALSE(check_positive(0).ok());
}

TEST(Result, SameTypeForValueAndErrorIsUnambiguous) {
  const Result<std::string, std::string> value = std::string("v");
  const Result<std::string, std::string> error = fail(std::string("e"));
  EXPECT_TRUE(value.ok());
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(error.error(), "e");
}

TEST(ResultDeathTest, ValueOfAnErrorIsAProgrammerError) {
  const auto bad = parse_positive(-1);
  EXPECT_DEATH((void)bad.value(), "assertion failed");
}

}  // namespace
}  // namespace mesh
