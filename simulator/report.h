// The picture of a run: an HTML page with an SVG timeline, one lane per zone, showing user
// operations, faults, peer-state changes as each zone saw them, violations and the moment of
// convergence. Self-contained (no scripts from the network), viewable in any browser.
#pragma once

#include <string>

#include "simulator/world.h"

namespace mesh::simulator {

std::string timeline_html(const RunResult& result, const std::vector<std::string>& zones);
std::string timeline_svg(const RunResult& result, const std::vector<std::string>& zones);

}  // namespace mesh::simulator
