// Engine time: Instant and Duration (monotonic nanoseconds, per node) and WallTime.
//
// The engine never reads a clock. Drivers pass `now` into every input: the node's monotonic
// Instant drives timers; WallTime (Unix nanoseconds) is only written into objects and events
// (updateTime, lastTransitionTime) and is never used to order events across nodes, because
// clocks of different clusters skew and jump.
//
//   Instant deadline = now + Duration::from_ms(500);
//   if (now >= deadline) { ... }
#pragma once

#include <compare>
#include <cstdint>
#include <limits>

namespace mesh {

// A signed span of time in nanoseconds.
class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration from_ns(std::int64_t ns) { return Duration(ns); }
  static constexpr Duration from_us(std::int64_t us) { return Duration(us * 1'000); }
  static constexpr Duration from_ms(std::int64_t ms) { return Duration(ms * 1'000'000); }
  static constexpr Duration from_seconds(std::int64_t seconds) {
    return Duration(seconds * 1'000'000'000);
  }
  static constexpr Duration zero() { return Duration(0); }
  static constexpr Duration max() { return Duration(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t ns() const { return ns_; }
  constexpr std::int64_t ms() const { return ns_ / 1'000'000; }
  constexpr double seconds() const { return static_cast<double>(ns_) / 1e9; }

  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration other) const { return Duration(ns_ + other.ns_); }
  constexpr Duration operator-(Duration other) const { return Duration(ns_ - other.ns_); }
  constexpr Duration operator*(std::int64_t factor) const { return Duration(ns_ * factor); }
  constexpr Duration operator/(std::int64_t divisor) const { return Duration(ns_ / divisor); }
  constexpr Duration& operator+=(Duration other) {
    ns_ += other.ns_;
    return *this;
  }

 private:
  constexpr explicit Duration(std::int64_t ns) : ns_(ns) {}
  std::int64_t ns_ = 0;
};

// A point on one node's monotonic clock, in nanoseconds since an arbitrary origin. Instants of
// different nodes are not comparable.
class Instant {
 public:
  constexpr Instant() = default;
  static constexpr Instant from_ns(std::int64_t ns) { return Instant(ns); }
  static constexpr Instant max() { return Instant(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t ns() const { return ns_; }

  constexpr auto operator<=>(const Instant&) const = default;
  constexpr Instant operator+(Duration duration) const {
    // Saturate so that `now + Duration::max()` means "never" instead of overflowing.
    if (duration.ns() > 0 && ns_ > std::numeric_limits<std::int64_t>::max() - duration.ns()) {
      return max();
    }
    return Instant(ns_ + duration.ns());
  }
  constexpr Instant operator-(Duration duration) const { return Instant(ns_ - duration.ns()); }
  constexpr Duration operator-(Instant other) const { return Duration::from_ns(ns_ - other.ns_); }

 private:
  constexpr explicit Instant(std::int64_t ns) : ns_(ns) {}
  std::int64_t ns_ = 0;
};

// Wall-clock time in nanoseconds since the Unix epoch, as the node's clock reports it.
class WallTime {
 public:
  constexpr WallTime() = default;
  static constexpr WallTime from_unix_ns(std::int64_t ns) { return WallTime(ns); }
  static constexpr WallTime from_unix_ms(std::int64_t ms) { return WallTime(ms * 1'000'000); }

  constexpr std::int64_t unix_ns() const { return ns_; }
  constexpr std::int64_t unix_ms() const { return ns_ / 1'000'000; }

  constexpr auto operator<=>(const WallTime&) const = default;
  constexpr WallTime operator+(Duration duration) const { return WallTime(ns_ + duration.ns()); }

 private:
  constexpr explicit WallTime(std::int64_t ns) : ns_(ns) {}
  std::int64_t ns_ = 0;
};

// The time stamp carried by every engine input.
struct Now {
  Instant monotonic;
  WallTime wall;
};

}  // namespace mesh
