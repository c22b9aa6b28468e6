#include "kube_sim/validation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "kube_sim/limits.h"

namespace mesh::kube_sim {
namespace {

using json = ::mesh::engine::Json;

constexpr std::size_t printable_size_max = 128;

bool is_lower_alphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_alphanumeric(char c) {
  return is_lower_alphanumeric(c) || (c >= 'A' && c <= 'Z');
}

// Checks one scalar or container node; containers are walked by the caller.
Result<void, std::string> check_json_node(const json& node) {
  if (node.is_binary() || node.is_discarded()) return fail(std::string("binary JSON value"));
  if (node.is_number_float() && !std::isfinite(node.get<double>())) {
    return fail(std::string("non-finite number"));
  }
  if (node.is_string() && !is_valid_utf8(node.get_ref<const std::string&>())) {
    return fail(std::string("string is not valid UTF-8"));
  }
  return {};
}

// Length of the UTF-8 sequence that starts with `lead`, or 0 for an invalid lead byte.
std::size_t utf8_sequence_size(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// The allowed range of the second byte after `lead` (RFC 3629 table: no overlongs, no
// surrogates, nothing above U+10FFFF).
std::pair<unsigned char, unsigned char> utf8_second_byte_range(unsigned char lead) {
  if (lead == 0xE0) return {0xA0, 0xBF};
  if (lead == 0xED) return {0x80, 0x9F};
  if (lead == 0xF0) return {0x90, 0xBF};
  if (lead == 0xF4) return {0x80, 0x8F};
  return {0x80, 0xBF};
}

}  // namespace

Result<void, std::string> check_json_shape(const json& value) {
  struct Frame {
    const json* node;
    std::size_t depth;
  };
  std::vector<Frame> stack{{&value, 1}};
  while (!stack.empty()) {
    const Frame frame = stack.back();
    stack.pop_back();
    if (frame.depth > object_depth_max) {
      return fail("nesting deeper than object_depth_max=" + std::to_string(object_depth_max));
    }
    MESH_TRY_VOID(check_json_node(*frame.node));
    if (frame.node->is_object()) {
      for (const auto& [key, child] : frame.node->items()) {
        if (!is_valid_utf8(key)) return fail(std::string("object key is not valid UTF-8"));
        stack.push_back({&child, frame.depth + 1});
      }
    } else if (frame.node->is_array()) {
      for (const json& child : *frame.node) stack.push_back({&child, frame.depth + 1});
    }
  }
  return {};
}

bool is_valid_utf8(std::string_view text) {
  std::size_t index = 0;
  while (index < text.size()) {
    const auto lead = static_cast<unsigned char>(text[index]);
    const std::size_t size = utf8_sequence_size(lead);
    if (size == 0 || index + size > text.size()) return false;
    for (std::size_t offset = 1; offset < size; offset++) {
      const auto byte = static_cast<unsigned char>(text[index + offset]);
      const auto [low, high] = offset == 1 ? utf8_second_byte_range(lead)
                                           : std::pair<unsigned char, unsigned char>{0x80, 0xBF};
      if (byte < low || byte > high) return false;
    }
    index += size;
  }
  return true;
}

Result<void, std::string> check_dns1123_subdomain(std::string_view name) {
  if (name.empty()) return fail(std::string("must not be empty"));
  if (name.size() > dns1123_subdomain_size_max) {
    return fail("must be no more than " + std::to_string(dns1123_subdomain_size_max) +
                " characters");
  }
  // Each dot-separated part must start and end with an alphanumeric character.
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t dot = name.find('.', start);
    const std::size_t end = dot == std::string_view::npos ? name.size() : dot;
    const std::string_view part = name.substr(start, end - start);
    if (part.empty() || !is_lower_alphanumeric(part.front()) ||
        !is_lower_alphanumeric(part.back())) {
      return fail(std::string(
          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
          "'-' or '.', and must start and end with an alphanumeric character"));
    }
    for (const char c : part) {
      if (!is_lower_alphanumeric(c) && c != '-') {
        return fail(
            std::string("a lowercase RFC 1123 subdomain must consist of lower case "
                        "alphanumeric characters, '-' or '.'"));
      }
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return {};
}

Result<void, std::string> check_dns1123_label(std::string_view name) {
  if (name.empty()) return fail(std::string("must not be empty"));
  if (name.size() > dns1123_label_size_max) {
    return fail("must be no more than " + std::to_string(dns1123_label_size_max) + " characters");
  }
  bool valid = is_lower_alphanumeric(name.front()) && is_lower_alphanumeric(name.back());
  for (const char c : name) valid = valid && (is_lower_alphanumeric(c) || c == '-');
  if (!valid) {
    return fail(std::string(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        "and must start and end with an alphanumeric character"));
  }
  return {};
}

Result<void, std::string> check_label_value(std::string_view value) {
  if (value.empty()) return {};
  if (value.size() > label_value_size_max) {
    return fail("must be no more than " + std::to_string(label_value_size_max) + " characters");
  }
  bool valid = is_alphanumeric(value.front()) && is_alphanumeric(value.back());
  for (const char c : value) {
    valid = valid && (is_alphanumeric(c) || c == '-' || c == '_' || c == '.');
  }
  if (!valid) {
    return fail(std::string(
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
        "an alphanumeric character"));
  }
  return {};
}

Result<void, std::string> check_qualified_name(std::string_view name) {
  std::string_view local = name;
  const std::size_t slash = name.find('/');
  if (slash != std::string_view::npos) {
    if (name.find('/', slash + 1) != std::string_view::npos) {
      return fail(std::string("a qualified name has at most one '/'"));
    }
    const Result<void, std::string> prefix = check_dns1123_subdomain(name.substr(0, slash));
    if (!prefix.ok()) return fail("prefix part " + prefix.error());
    local = name.substr(slash + 1);
  }
  if (local.empty()) return fail(std::string("name part must not be empty"));
  if (local.size() > qualified_name_size_max) {
    return fail("name part must be no more than " + std::to_string(qualified_name_size_max) +
                " characters");
  }
  const Result<void, std::string> rest = check_label_value(local);
  if (!rest.ok()) return fail("name part " + rest.error());
  return {};
}

Result<std::uint64_t, std::string> parse_resource_version(std::string_view text) {
  constexpr std::size_t digits_max = 20;
  if (text.empty() || text.size() > digits_max) {
    return fail("invalid resourceVersion \"" + printable(text) + "\"");
  }
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return fail("invalid resourceVersion \"" + printable(text) + "\"");
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
      return fail("resourceVersion \"" + printable(text) + "\" is out of range");
    }
    value = value * 10 + digit;
  }
  return value;
}

std::string printable(std::string_view text) {
  std::string out;
  const std::size_t size = std::min(text.size(), printable_size_max);
  out.reserve(size + 3);
  for (std::size_t index = 0; index < size; index++) {
    const char c = text[index];
    out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  }
  if (text.size() > printable_size_max) out += "...";
  return out;
}

}  // namespace mesh::kube_sim
