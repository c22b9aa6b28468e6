// Clock: one simulated node's view of time, derived from the simulator's global time.
//
// The monotonic clock runs at (1 + drift_ppm / 10^6) times global speed from its own origin
// (different per node, so comparing two nodes' Instants is a visible bug). The wall clock
// starts at a configured Unix time, drifts alike, and can be stepped (an NTP correction, an
// operator) in either direction; the monotonic clock never steps. global_at() inverts the
// monotonic mapping, to turn a node's deadline into a global event time.
#pragma once

#include <cstdint>

#include "engine/assert.h"
#include "engine/time.h"

namespace mesh::io_sim {

// Exact intermediate products of nanoseconds and ppm factors.
__extension__ typedef __int128 Int128;

class Clock {
 public:
  Clock(Instant global_start, Instant monotonic_origin, WallTime wall_start, std::int64_t drift_ppm)
      : base_global_(global_start),
        base_monotonic_(monotonic_origin),
        base_wall_(wall_start),
        drift_ppm_(drift_ppm) {
    MESH_ASSERT(drift_ppm > -100'000);
    MESH_ASSERT(drift_ppm < 100'000);
  }

  Now now(Instant global) const {
    MESH_ASSERT(global >= base_global_);
    const Duration local = scaled(global - base_global_);
    return Now{base_monotonic_ + local, base_wall_ + local + wall_offset_};
  }

  // The earliest global time at which this node's monotonic clock reads `local` or later.
  Instant global_at(Instant local) const {
    if (local <= base_monotonic_) return base_global_;
    // Integer arithmetic, rounded up: exact and the same on every machine.
    const Int128 elapsed = (local - base_monotonic_).ns();
    const Int128 global_ns =
        (elapsed * 1'000'000 + (1'000'000 + drift_ppm_) - 1) / (1'000'000 + drift_ppm_);
    return base_global_ + Duration::from_ns(static_cast<std::int64_t>(global_ns));
  }

  // Changes the drift from `global` on, without a jump in either clock.
  void set_drift(Instant global, std::int64_t drift_ppm) {
    const Now current = now(global);
    base_global_ = global;
    base_monotonic_ = current.monotonic;
    base_wall_ = current.wall + Duration::from_ns(-wall_offset_.ns());
    drift_ppm_ = drift_ppm;
  }

  // Steps the wall clock (positive: forward).
  void jump_wall(Duration delta) { wall_offset_ = wall_offset_ + delta; }
  std::int64_t drift_ppm() const { return drift_ppm_; }

 private:
  Duration scaled(Duration global) const {
    const Int128 ns = static_cast<Int128>(global.ns()) * (1'000'000 + drift_ppm_) / 1'000'000;
    return Duration::from_ns(static_cast<std::int64_t>(ns));
  }

  Instant base_global_;
  Instant base_monotonic_;
  WallTime base_wall_;
  std::int64_t drift_ppm_ = 0;
  Duration wall_offset_;
};

}  // namespace mesh::io_sim
