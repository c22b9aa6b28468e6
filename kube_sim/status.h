// ApiError: a failed request as a value, carrying the fields of a Kubernetes metav1.Status.
//
// Reasons and HTTP codes follow k8s.io/apimachinery/pkg/apis/meta/v1 (StatusReason); messages
// follow the real server's wording where clients show or match them ("... not found", "the
// object has been modified ..."). to_status() renders the wire form for the HTTP facade and for
// watch ERROR events. Nothing here throws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json.h"

#include "engine/result.h"

namespace mesh::kube_sim {

enum class StatusReason : std::uint8_t {
  bad_request,               // 400: malformed body, parameters or selector
  forbidden,                 // 403: e.g. create in a namespace being deleted
  not_found,                 // 404: no such object, type or subresource
  already_exists,            // 409: create of an existing name
  conflict,                  // 409: stale resourceVersion, failed precondition, SSA conflict
  gone,                      // 410: resourceVersion older than the retained history
  request_entity_too_large,  // 413: object larger than object_size_max
  invalid,                   // 422: validation failed
  too_many_requests,         // 429: watch limit or an injected throttle
  internal_error,            // 500: storage quota or an injected fault
  service_unavailable,       // 503: paused server or an injected fault
  timeout,                   // 504: resourceVersion newer than the server's
};

// The Kubernetes name of a reason ("NotFound") and its HTTP status code.
std::string_view reason_name(StatusReason reason);
int http_code(StatusReason reason);

// One metav1.StatusCause: which field is wrong and why.
struct StatusCause {
  std::string type;  // "FieldValueInvalid", "FieldManagerConflict", ...
  std::string message;
  std::string field;  // ".spec.zones", "metadata.name"
};

struct ApiError {
  StatusReason reason = StatusReason::internal_error;
  std::string message;  // names the object and the problem
  // metav1.StatusDetails, filled when the error is about one object.
  std::string name;
  std::string group;
  std::string kind;  // the resource (plural), as the real server reports it
  std::vector<StatusCause> causes;
  std::int64_t retry_after_seconds = 0;  // > 0 only for throttling

  int http_code() const { return kube_sim::http_code(reason); }
  // The metav1.Status object ({"kind":"Status","status":"Failure",...}).
  engine::Json to_status() const;
};

template <typename T>
using ApiResult = Result<T, ApiError>;

}  // namespace mesh::kube_sim
