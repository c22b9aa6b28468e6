#include "io_sim/latency.h"

#include <algorithm>
#include <cmath>

namespace mesh::io_sim {

namespace {

Duration uniform_between(engine::Prng& prng, Duration low, Duration high) {
  return Duration::from_ns(prng.between(low.ns(), high.ns()));
}

}  // namespace

LatencyModel LatencyModel::constant(Duration value) {
  LatencyModel model;
  model.kind = Kind::constant;
  model.value = value;
  return model;
}

LatencyModel LatencyModel::uniform(Duration low, Duration high) {
  LatencyModel model;
  model.kind = Kind::uniform;
  model.min = low;
  model.max = high;
  return model;
}

Duration LatencyModel::sample(engine::Prng& prng) const {
  switch (kind) {
    case Kind::constant: return value;
    case Kind::uniform: return uniform_between(prng, min, max);
    case Kind::exponential: {
      // Inverse transform; the tail is capped at 20 means so one draw cannot stall a link for
      // an unbounded time.
      const double u = std::max(prng.unit(), 1e-12);
      const double tail = std::min(-std::log(u), 20.0);
      return min +
             Duration::from_ns(static_cast<std::int64_t>(tail * static_cast<double>(mean.ns())));
    }
    case Kind::bimodal:
      return prng.unit() < slow_probability ? uniform_between(prng, slow_min, slow_max)
                                            : uniform_between(prng, min, max);
  }
  MESH_UNREACHABLE();
}

Result<void, std::string> LatencyModel::validate() const {
  const auto negative = [](Duration d) { return d < Duration::zero(); };
  if (negative(value) || negative(min) || negative(max) || negative(mean) || negative(slow_min) ||
      negative(slow_max)) {
    return fail(std::string("latencies must not be negative"));
  }
  if ((kind == Kind::uniform || kind == Kind::bimodal) && min > max) {
    return fail(std::string("min must not exceed max"));
  }
  if (kind == Kind::bimodal &&
      (slow_min > slow_max || slow_probability < 0.0 || slow_probability > 1.0)) {
    return fail(std::string("bimodal needs slow_min <= slow_max and a probability in [0, 1]"));
  }
  return {};
}

std::string LatencyModel::describe() const {
  const auto ms = [](Duration d) { return std::to_string(d.ms()) + "ms"; };
  switch (kind) {
    case Kind::constant: return "constant " + ms(value);
    case Kind::uniform: return "uniform " + ms(min) + ".." + ms(max);
    case Kind::exponential: return "exponential min " + ms(min) + " mean " + ms(mean);
    case Kind::bimodal:
      return "bimodal " + ms(min) + ".." + ms(max) + " / " + ms(slow_min) + ".." + ms(slow_max);
  }
  MESH_UNREACHABLE();
}

}  // namespace mesh::io_sim
