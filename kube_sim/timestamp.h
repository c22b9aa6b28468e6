// RFC 3339 timestamps for metadata (creationTimestamp, deletionTimestamp, managedFields time).
//
// Kubernetes' metav1.Time serializes at second precision in UTC ("2024-05-01T12:00:00Z"); we
// truncate toward the past the same way. Pure arithmetic on WallTime: no clock, no <ctime>.
#pragma once

#include <string>

#include "engine/time.h"

namespace mesh::kube_sim {

std::string format_rfc3339(WallTime time);

}  // namespace mesh::kube_sim
