#include "simulator/report.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace mesh::simulator {

namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

const char* color_of(const TimelineEntry& entry) {
  if (entry.kind == "violation") return "#000000";
  if (entry.kind == "converged") return "#1b9e4b";
  if (entry.kind == "user") return "#1f6feb";
  if (entry.kind == "fault") return "#d73a49";
  if (entry.kind == "peer") {
    if (entry.text.ends_with("Ready") && !entry.text.ends_with("NotReady")) return "#2ea043";
    if (entry.text.ends_with("NotReady")) return "#d29922";
    if (entry.text.ends_with("Unavailable")) return "#cf222e";
    return "#8c959f";
  }
  return "#57606a";
}

}  // namespace

std::string timeline_svg(const RunResult& result, const std::vector<std::string>& zones) {
  constexpr int left = 90;
  constexpr int lane = 36;
  constexpr int width = 1400;
  const std::int64_t span_ms = std::max<std::int64_t>(result.stats.simulated.ms(), 1);
  const int height = lane * static_cast<int>(zones.size() + 1) + 40;
  std::map<std::string, int> row;
  for (std::size_t i = 0; i < zones.size(); i++) row[zones[i]] = static_cast<int>(i) + 1;
  const auto x = [&](Duration at) {
    return left + static_cast<int>(at.ms() * (width - left - 20) / span_ms);
  };
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' font-family='monospace' font-size='11'>\n";
  svg << "<text x='4' y='" << lane - 12 << "'>world</text>\n";
  for (const auto& [zone, index] : row) {
    const int y = lane * index + lane / 2;
    svg << "<text x='4' y='" << y + 4 << "'>" << escape(zone) << "</text>\n";
    svg << "<line x1='" << left << "' y1='" << y << "' x2='" << width - 20 << "' y2='" << y
        << "' stroke='#d0d7de'/>\n";
  }
  for (std::int64_t second = 0; second <= span_ms / 1000; second += 10) {
    const int tick = x(Duration::from_seconds(second));
    svg << "<text x='" << tick << "' y='" << height - 8 << "'>" << second << "s</text>\n";
  }
  for (const TimelineEntry& entry : result.timeline) {
    const auto found = row.find(entry.zone);
    const int y = found == row.end() ? lane / 2 : lane * found->second + lane / 2;
    const int cx = x(entry.at);
    const bool world = found == row.end();
    if (world && (entry.kind == "fault" || entry.kind == "converged")) {
      svg << "<line x1='" << cx << "' y1='0' x2='" << cx << "' y2='" << height - 20 << "' stroke='"
          << color_of(entry) << "' stroke-dasharray='4 3'/>\n";
    }
    svg << "<circle cx='" << cx << "' cy='" << y << "' r='4' fill='" << color_of(entry)
        << "'><title>" << entry.at.ms() << " ms " << escape(entry.zone) << " " << entry.kind << ": "
        << escape(entry.text) << "</title></circle>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

std::string timeline_html(const RunResult& result, const std::vector<std::string>& zones) {
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>mesh-sim "
       << escape(result.scenario) << " seed " << result.seed << "</title></head>\n<body>\n";
  html << "<h2>" << escape(result.scenario) << " &mdash; seed " << result.seed << " &mdash; "
       << (result.passed() ? "passed" : "FAILED") << "</h2>\n";
  html << "<p>Simulated " << result.stats.simulated.ms() / 1000 << " s, " << result.stats.events
       << " events, " << result.stats.segments << " segments, " << result.stats.operations
       << " operations, trace hash " << result.trace_hash << ". Hover a dot for details. "
       << "Blue: user operation; red: fault; green/amber/red: peer Ready/NotReady/Unavailable "
       << "as the lane's zone saw it; black: violation; dashed: world-wide event.</p>\n";
  html << timeline_svg(result, zones);
  if (!result.violations.empty()) {
    html << "<h3>Violations</h3><ul>\n";
    for (const Violation& violation : result.violations) {
      html << "<li>" << violation.at.ms() << " ms: " << escape(violation.message) << "</li>\n";
    }
    html << "</ul>\n";
  }
  html << "</body></html>\n";
  return html.str();
}

}  // namespace mesh::simulator
