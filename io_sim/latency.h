// Latency distributions for virtual links, sampled from the network's seeded generator.
//
// constant: always `value`. uniform: between `min` and `max`. exponential: `min` plus an
// exponential tail of mean `mean` (a quiet link with occasional slow packets). bimodal: the
// uniform fast range, or with probability `slow_probability` the range slow_min..slow_max
// (a path that sometimes detours).
#pragma once

#include <string>

#include "engine/prng.h"
#include "engine/result.h"
#include "engine/time.h"

namespace mesh::io_sim {

struct LatencyModel {
  enum class Kind { constant, uniform, exponential, bimodal };
  Kind kind = Kind::constant;
  Duration value = Duration::from_ms(1);
  Duration min = Duration::from_ms(1);
  Duration max = Duration::from_ms(1);
  Duration mean = Duration::from_ms(1);
  double slow_probability = 0.0;
  Duration slow_min = Duration::from_ms(100);
  Duration slow_max = Duration::from_ms(200);

  static LatencyModel constant(Duration value);
  static LatencyModel uniform(Duration min, Duration max);

  Duration sample(engine::Prng& prng) const;
  // An error message when the parameters make no sense (negative, min above max, ...).
  Result<void, std::string> validate() const;
  std::string describe() const;
};

}  // namespace mesh::io_sim
