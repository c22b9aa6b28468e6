#include "kube_sim/status.h"

namespace mesh::kube_sim {

std::string_view reason_name(StatusReason reason) {
  switch (reason) {
    case StatusReason::bad_request: return "BadRequest";
    case StatusReason::forbidden: return "Forbidden";
    case StatusReason::not_found: return "NotFound";
    case StatusReason::already_exists: return "AlreadyExists";
    case StatusReason::conflict: return "Conflict";
    case StatusReason::gone: return "Gone";
    case StatusReason::request_entity_too_large: return "RequestEntityTooLarge";
    case StatusReason::invalid: return "Invalid";
    case StatusReason::too_many_requests: return "TooManyRequests";
    case StatusReason::internal_error: return "InternalError";
    case StatusReason::service_unavailable: return "ServiceUnavailable";
    case StatusReason::timeout: return "Timeout";
  }
  MESH_UNREACHABLE();
}

int http_code(StatusReason reason) {
  switch (reason) {
    case StatusReason::bad_request: return 400;
    case StatusReason::forbidden: return 403;
    case StatusReason::not_found: return 404;
    case StatusReason::already_exists: return 409;
    case StatusReason::conflict: return 409;
    case StatusReason::gone: return 410;
    case StatusReason::request_entity_too_large: return 413;
    case StatusReason::invalid: return 422;
    case StatusReason::too_many_requests: return 429;
    case StatusReason::internal_error: return 500;
    case StatusReason::service_unavailable: return 503;
    case StatusReason::timeout: return 504;
  }
  MESH_UNREACHABLE();
}

engine::Json ApiError::to_status() const {
  engine::Json status = {
      {"apiVersion", "v1"},  {"kind", "Status"},   {"metadata", engine::Json::object()},
      {"status", "Failure"}, {"message", message}, {"reason", reason_name(reason)},
      {"code", http_code()},
  };
  engine::Json details = engine::Json::object();
  if (!name.empty()) details["name"] = name;
  if (!group.empty()) details["group"] = group;
  if (!kind.empty()) details["kind"] = kind;
  if (retry_after_seconds > 0) details["retryAfterSeconds"] = retry_after_seconds;
  for (const StatusCause& cause : causes) {
    engine::Json entry = {{"reason", cause.type}, {"message", cause.message}};
    if (!cause.field.empty()) entry["field"] = cause.field;
    details["causes"].push_back(std::move(entry));
  }
  if (!details.empty()) status["details"] = std::move(details);
  return status;
}

}  // namespace mesh::kube_sim
