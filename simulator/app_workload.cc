#include "simulator/app_workload.h"

#include <algorithm>
#include <utility>

#include "simulator/app_limits.h"

namespace mesh::simulator {

std::string_view health_name(Health health) {
  switch (health) {
    case Health::healthy: return "Healthy";
    case Health::progressing: return "Progressing";
    case Health::degraded: return "Degraded";
    case Health::missing: return "Missing";
    case Health::suspended: return "Suspended";
    case Health::unknown: return "Unknown";
  }
  MESH_UNREACHABLE();
}

bool Workload::apply(std::string_view version, Instant now, Duration deploy_duration) {
  MESH_ASSERT(deploy_duration >= Duration::zero());
  MESH_ASSERT(versions_.size() <= app_workload_versions_max);
  InstalledVersion* installed = find(version);
  if (installed != nullptr) {
    if (installed->gone_at.has_value()) return true;  // terminating objects block a recreate
    if (installed->missing) {
      installed->missing = false;
      installed->complete_at = now + deploy_duration;
    }
    return true;
  }
  if (versions_.size() == app_workload_versions_max) return false;
  versions_.push_back(
      InstalledVersion{.version = std::string(version), .complete_at = now + deploy_duration});
  return true;
}

void Workload::remove_all(Instant now, Duration undeploy_duration) {
  MESH_ASSERT(undeploy_duration >= Duration::zero());
  for (InstalledVersion& installed : versions_) {
    if (!installed.gone_at.has_value()) installed.gone_at = now + undeploy_duration;
  }
}

void Workload::settle(Instant now) {
  std::erase_if(versions_, [now](const InstalledVersion& installed) {
    return installed.gone_at.has_value() && *installed.gone_at <= now;
  });
}

void Workload::mark_missing() {
  for (InstalledVersion& installed : versions_) installed.missing = true;
}

bool Workload::present(std::string_view version) const {
  return find(version) != nullptr;
}

bool Workload::complete(std::string_view version, Instant now) const {
  const InstalledVersion* installed = find(version);
  if (installed == nullptr || installed->missing || installed->complete_at > now) return false;
  // Terminating objects still exist (the real controller checks existence only) until their
  // deletion finishes, whether or not settle() has run since.
  return !installed->gone_at.has_value() || *installed->gone_at > now;
}

bool Workload::has_other_versions(std::string_view version) const {
  return std::any_of(
      versions_.begin(), versions_.end(),
      [version](const InstalledVersion& installed) { return installed.version != version; });
}

InstalledVersion* Workload::find(std::string_view version) {
  for (InstalledVersion& installed : versions_) {
    if (installed.version == version) return &installed;
  }
  return nullptr;
}

const InstalledVersion* Workload::find(std::string_view version) const {
  for (const InstalledVersion& installed : versions_) {
    if (installed.version == version) return &installed;
  }
  return nullptr;
}

Result<void, Error<ChartError>> ChartIndex::set_entry(std::string constraint,
                                                      std::string concrete) {
  const auto found = repository_.find(constraint);
  if (found != repository_.end()) {
    found->second = std::move(concrete);
    return {};
  }
  if (repository_.size() >= app_chart_index_entries_max) {
    return fail(ChartError::limit_reached, "more than app_chart_index_entries_max entries");
  }
  repository_.emplace(std::move(constraint), std::move(concrete));
  MESH_ASSERT(repository_.size() <= app_chart_index_entries_max);
  return {};
}

Result<std::string, Error<ChartError>> ChartIndex::resolve(std::string_view constraint, Instant now,
                                                           Duration refresh) {
  MESH_ASSERT(refresh > Duration::zero());
  if (!reachable_) {
    return fail(ChartError::unreachable, "chart repository unreachable");
  }
  if (!fetched_at_.has_value() || now - *fetched_at_ >= refresh) {
    cached_ = repository_;
    fetched_at_ = now;
  }
  const auto found = cached_.find(constraint);
  if (found != cached_.end()) return found->second;
  if (is_exact_version(constraint)) return std::string(constraint);
  return fail(ChartError::no_match, "no chart version matches \"" + std::string(constraint) + "\"");
}

bool is_exact_version(std::string_view version) {
  if (!version.empty() && version.front() == 'v') version.remove_prefix(1);
  if (version.empty() || version.front() < '0' || version.front() > '9') return false;
  std::size_t dots = 0;
  for (std::size_t index = 0; index < version.size(); index++) {
    const char c = version[index];
    if (c == '-' || c == '+') return index > 0 && version[index - 1] != '.';
    if (c == '.') {
      dots++;
      if (index + 1 == version.size() || version[index + 1] == '.') return false;
      continue;
    }
    if (c < '0' || c > '9') return false;
  }
  return dots <= 2;
}

}  // namespace mesh::simulator
