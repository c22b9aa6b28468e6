// Checks on request data: the JSON shape of bodies and the Kubernetes name rules.
//
// check_json_shape() runs first on every body, iteratively, so that nothing later meets runaway
// nesting, invalid UTF-8 (which would make serialization throw) or non-finite numbers (which
// JSON cannot carry). The name checks implement k8s.io/apimachinery/pkg/util/validation:
// DNS-1123 labels and subdomains, qualified names (label keys, finalizers) and label values.
// Each returns the reason text on failure; none of them allocate more than that text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/json.h"

#include "engine/result.h"

namespace mesh::kube_sim {

// Name and label sizes of the Kubernetes API conventions.
inline constexpr std::size_t dns1123_subdomain_size_max = 253;
inline constexpr std::size_t dns1123_label_size_max = 63;
inline constexpr std::size_t qualified_name_size_max = 63;
inline constexpr std::size_t label_value_size_max = 63;

// Depth within object_depth_max, valid UTF-8 in strings and keys, finite numbers, no binary.
Result<void, std::string> check_json_shape(const engine::Json& value);

bool is_valid_utf8(std::string_view text);

Result<void, std::string> check_dns1123_subdomain(std::string_view name);
Result<void, std::string> check_dns1123_label(std::string_view name);
// "[prefix/]name": prefix a DNS-1123 subdomain, name up to 63 alphanumerics, '-', '_', '.'.
Result<void, std::string> check_qualified_name(std::string_view name);
Result<void, std::string> check_label_value(std::string_view value);

// A resourceVersion as the server writes it: decimal digits, fitting in 64 bits.
Result<std::uint64_t, std::string> parse_resource_version(std::string_view text);

// Text from a request, safe to quote in a message: non-printable and non-ASCII bytes become
// '?', and long text is cut, so messages stay valid UTF-8 and short.
std::string printable(std::string_view text);

}  // namespace mesh::kube_sim
