#include "kube_sim/timestamp.h"

#include <cstdint>

#include "engine/assert.h"

namespace mesh::kube_sim {
namespace {

constexpr std::int64_t ns_per_second = 1'000'000'000;
constexpr std::int64_t seconds_per_day = 86'400;

struct CivilDate {
  std::int64_t year;
  std::int64_t month;  // 1..12
  std::int64_t day;    // 1..31
};

std::int64_t floor_divide(std::int64_t value, std::int64_t divisor) {
  const std::int64_t quotient = value / divisor;
  return (value % divisor < 0) ? quotient - 1 : quotient;
}

// Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day count since 1970-01-01.
CivilDate civil_from_days(std::int64_t days) {
  const std::int64_t shifted = days + 719'468;
  const std::int64_t era = floor_divide(shifted, 146'097);
  const std::int64_t day_of_era = shifted - era * 146'097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1'460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_index = (5 * day_of_year + 2) / 153;
  const std::int64_t day = day_of_year - (153 * month_index + 2) / 5 + 1;
  const std::int64_t month = month_index < 10 ? month_index + 3 : month_index - 9;
  const std::int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  MESH_ASSERT(month >= 1 && month <= 12);
  MESH_ASSERT(day >= 1 && day <= 31);
  return {year, month, day};
}

void append_padded(std::string& out, std::int64_t value, std::size_t width) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  if (value < 0) out.push_back('-');
  if (digits.size() < width) out.append(width - digits.size(), '0');
  out += digits;
}

}  // namespace

std::string format_rfc3339(WallTime time) {
  const std::int64_t seconds = floor_divide(time.unix_ns(), ns_per_second);
  const std::int64_t days = floor_divide(seconds, seconds_per_day);
  const std::int64_t second_of_day = seconds - days * seconds_per_day;
  MESH_ASSERT(second_of_day >= 0 && second_of_day < seconds_per_day);
  const CivilDate date = civil_from_days(days);
  std::string out;
  out.reserve(20);
  append_padded(out, date.year, 4);
  out.push_back('-');
  append_padded(out, date.month, 2);
  out.push_back('-');
  append_padded(out, date.day, 2);
  out.push_back('T');
  append_padded(out, second_of_day / 3'600, 2);
  out.push_back(':');
  append_padded(out, second_of_day / 60 % 60, 2);
  out.push_back(':');
  append_padded(out, second_of_day % 60, 2);
  out.push_back('Z');
  return out;
}

}  // namespace mesh::kube_sim
