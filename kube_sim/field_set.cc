#include "kube_sim/field_set.h"

#include <algorithm>
#include <optional>

#include "engine/assert.h"

namespace mesh::kube_sim {
namespace {

using json = ::mesh::engine::Json;

// The metadata members SSA tracks; the rest are server-owned or identify the object.
constexpr std::string_view tracked_metadata[] = {"labels", "annotations", "finalizers",
                                                 "ownerReferences"};

struct Frame {
  const json* node;
  FieldPath path;
};

// The member names of `path`, dot-separated, for matching ListRule::path. Derived only for
// lists (and errors) instead of carried in every frame: most nodes are not lists, and a
// string per node was a large share of a status write in the simulator.
std::string dotted_of(const FieldPath& path) {
  std::string dotted;
  for (const std::string_view token : path) {
    if (!is_member_token(token)) continue;
    if (!dotted.empty()) dotted += '.';
    dotted.append(token.substr(2));
  }
  return dotted;
}

// Serializes without ever throwing: bodies were checked for valid UTF-8 already, and the
// replacement handler keeps even a missed case from escaping as an exception.
std::string compact(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

void push_members(std::vector<Frame>& stack, const json& node, const FieldPath& path) {
  MESH_ASSERT(node.is_object());
  for (const auto& [name, child] : node.items()) {
    FieldPath child_path = path;
    child_path.push_back("f:", name);
    stack.push_back({&child, std::move(child_path)});
  }
}

bool is_scalar_key(const json& value) {
  return value.is_string() || value.is_number() || value.is_boolean();
}

Result<void, std::string> collect_set(FieldValues& fields, const Frame& frame,
                                      const std::string& dotted) {
  std::set<std::string> seen;
  for (const json& element : *frame.node) {
    if (!is_scalar_key(element)) return fail(dotted + ": set elements must be scalars");
    std::string token = "v:" + compact(element);
    if (!seen.insert(token).second) {
      return fail(dotted + ": duplicate entries for value " + compact(element));
    }
    FieldPath path = frame.path;
    path.push_back(token);
    fields.emplace(std::move(path), element);
  }
  return {};
}

Result<void, std::string> collect_keyed(FieldValues& fields, std::vector<Frame>& stack,
                                        const Frame& frame, const std::string& dotted,
                                        const std::string& key) {
  std::set<std::string> seen;
  std::size_t index = 0;
  for (const json& item : *frame.node) {
    const std::size_t item_index = index++;
    if (!item.is_object()) {
      return fail(dotted + "[" + std::to_string(item_index) + "]: must be an object keyed by " +
                  key);
    }
    const auto found = item.find(key);
    if (found == item.end() || !is_scalar_key(*found)) {
      return fail(dotted + "[" + std::to_string(item_index) + "]: must have a scalar " + key);
    }
    json key_object = json::object({{key, *found}});
    std::string token = "k:" + compact(key_object);
    if (!seen.insert(token).second) {
      return fail(dotted + ": duplicate entries for key " + key + "=" + compact(*found));
    }
    FieldPath item_path = frame.path;
    item_path.push_back(token);
    FieldPath self_path = item_path;
    self_path.push_back(".");
    fields.emplace(std::move(self_path), std::move(key_object));
    push_members(stack, item, item_path);
  }
  return {};
}

// The index of the item (k: token) or element (v: token) of `array` that `token` names.
std::optional<std::size_t> find_element(const json& array, std::string_view token) {
  MESH_ASSERT(array.is_array());
  const json wanted = parse_token_value(token);
  const bool keyed = is_key_token(token);
  if (keyed && (!wanted.is_object() || wanted.size() != 1)) return std::nullopt;
  for (std::size_t index = 0; index < array.size(); index++) {
    const json& element = array[index];
    if (!keyed) {
      if (element == wanted) return index;
      continue;
    }
    if (!element.is_object()) continue;
    const auto found = element.find(wanted.begin().key());
    if (found != element.end() && *found == wanted.begin().value()) return index;
  }
  return std::nullopt;
}

// One step of a path walk: the child of `node` named by `token`, or nullptr.
json* step(json& node, std::string_view token) {
  if (token == ".") return &node;
  if (is_member_token(token)) {
    if (!node.is_object()) return nullptr;
    const auto found = node.find(std::string(token.substr(2)));
    return found == node.end() ? nullptr : &*found;
  }
  if (!node.is_array()) return nullptr;
  const std::optional<std::size_t> index = find_element(node, token);
  return index.has_value() ? &node[*index] : nullptr;
}

}  // namespace

json scoped(const json& object, FieldScope scope) {
  json out = json::object();
  if (!object.is_object()) return out;
  for (const auto& [name, value] : object.items()) {
    if (name == "apiVersion" || name == "kind") continue;
    if (name == "status") {
      if (scope != FieldScope::object_without_status) out[name] = value;
      continue;
    }
    if (scope == FieldScope::status) continue;
    if (name != "metadata") {
      out[name] = value;
      continue;
    }
    if (!value.is_object()) continue;
    json metadata = json::object();
    for (const std::string_view member : tracked_metadata) {
      const auto found = value.find(std::string(member));
      if (found != value.end()) metadata[std::string(member)] = *found;
    }
    if (!metadata.empty()) out["metadata"] = std::move(metadata);
  }
  return out;
}

namespace {

// The walk of collect_fields() from frames already on the stack.
Result<FieldValues, std::string> collect_from(std::vector<Frame>& stack,
                                              std::span<const ListRule> rules) {
  FieldValues fields;
  while (!stack.empty()) {
    Frame frame = std::move(stack.back());
    stack.pop_back();
    const json& node = *frame.node;
    if (node.is_object()) {
      push_members(stack, node, frame.path);
      continue;
    }
    const std::string dotted = node.is_array() ? dotted_of(frame.path) : std::string();
    const ListRule* rule = node.is_array() ? find_list_rule(rules, dotted) : nullptr;
    if (rule == nullptr) {
      fields.emplace(std::move(frame.path), node);
    } else if (rule->key.empty()) {
      MESH_TRY_VOID(collect_set(fields, frame, dotted));
    } else {
      MESH_TRY_VOID(collect_keyed(fields, stack, frame, dotted, rule->key));
    }
  }
  return fields;
}

}  // namespace

Result<FieldValues, std::string> collect_fields(const json& object,
                                                std::span<const ListRule> rules) {
  if (!object.is_object()) return fail(std::string("the object must be a JSON object"));
  std::vector<Frame> stack;
  push_members(stack, object, {});
  return collect_from(stack, rules);
}

// Walks the members scoped() would keep in place: a status write collects the fields of the
// object before and after, and two filtered copies of it were a large share of that write.
Result<FieldValues, std::string> collect_scoped_fields(const json& object, FieldScope scope,
                                                       std::span<const ListRule> rules) {
  std::vector<Frame> stack;
  if (!object.is_object()) return collect_from(stack, rules);
  for (const auto& [name, value] : object.items()) {
    if (name == "apiVersion" || name == "kind") continue;
    const bool status = name == "status";
    if (status && scope == FieldScope::object_without_status) continue;
    if (!status && scope == FieldScope::status) continue;
    if (name != "metadata") {
      stack.push_back({&value, FieldPath{"f:" + name}});
      continue;
    }
    if (!value.is_object()) continue;
    // In member order, as collect_fields() would push them: the first error found is the same.
    for (const auto& [member, child] : value.items()) {
      const bool tracked = std::find(std::begin(tracked_metadata), std::end(tracked_metadata),
                                     member) != std::end(tracked_metadata);
      if (tracked) stack.push_back({&child, FieldPath{"f:metadata", "f:" + member}});
    }
  }
  return collect_from(stack, rules);
}

namespace {

// Whether some rule's path is `parent`.`name` or lies below it. Decided on the rule paths
// without building the member's dotted path: most members lead to no rule.
bool leads_to_rule(std::span<const ListRule> rules, std::string_view parent,
                   std::string_view name) {
  return std::any_of(rules.begin(), rules.end(), [&](const ListRule& rule) {
    std::string_view path = rule.path;
    if (!parent.empty()) {
      if (!path.starts_with(parent) || path.size() <= parent.size() || path[parent.size()] != '.') {
        return false;
      }
      path.remove_prefix(parent.size() + 1);
    }
    return path.starts_with(name) && (path.size() == name.size() || path[name.size()] == '.');
  });
}

// Recursion depth is bounded by the rules' paths (a handful of members), not by the object.
Result<void, std::string> check_node(const json& node, const std::string& dotted,
                                     std::span<const ListRule> rules) {
  if (node.is_object()) {
    for (const auto& [name, child] : node.items()) {
      if (!leads_to_rule(rules, dotted, name)) continue;
      MESH_TRY_VOID(check_node(child, dotted.empty() ? name : dotted + "." + name, rules));
    }
    return {};
  }
  if (!node.is_array()) return {};
  const ListRule* rule = find_list_rule(rules, dotted);
  if (rule == nullptr) return {};
  std::set<std::string> seen;
  std::size_t index = 0;
  for (const json& element : node) {
    const std::size_t element_index = index++;
    if (rule->key.empty()) {
      if (!is_scalar_key(element)) return fail(dotted + ": set elements must be scalars");
      if (!seen.insert(compact(element)).second) {
        return fail(dotted + ": duplicate entries for value " + compact(element));
      }
      continue;
    }
    const std::string where = dotted + "[" + std::to_string(element_index) + "]";
    if (!element.is_object()) return fail(where + ": must be an object keyed by " + rule->key);
    const auto found = element.find(rule->key);
    if (found == element.end() || !is_scalar_key(*found)) {
      return fail(where + ": must have a scalar " + rule->key);
    }
    if (!seen.insert(compact(*found)).second) {
      return fail(dotted + ": duplicate entries for key " + rule->key + "=" + compact(*found));
    }
    MESH_TRY_VOID(check_node(element, dotted, rules));
  }
  return {};
}

}  // namespace

Result<void, std::string> check_list_rules(const json& object, std::span<const ListRule> rules) {
  if (!object.is_object()) return fail(std::string("the object must be a JSON object"));
  return check_node(object, "", rules);
}

const ListRule* find_list_rule(std::span<const ListRule> rules, std::string_view path) {
  const auto found = std::find_if(rules.begin(), rules.end(),
                                  [&](const ListRule& rule) { return rule.path == path; });
  return found == rules.end() ? nullptr : &*found;
}

json encode_fields_v1(const FieldSet& fields) {
  json encoded = json::object();
  for (const FieldPath& path : fields) {
    json* node = &encoded;
    for (const std::string_view token : path) node = &(*node)[std::string(token)];
    if (node->is_null()) *node = json::object();
  }
  return encoded;
}

std::string describe_field_path(const FieldPath& path) {
  std::string text;
  for (const std::string_view token : path) {
    if (is_member_token(token)) {
      text += ".";
      text += token.substr(2);
    } else if (is_key_token(token)) {
      const json key = parse_token_value(token);
      text += "[";
      if (key.is_object()) {
        for (const auto& [name, value] : key.items()) text += name + "=" + compact(value);
      }
      text += "]";
    } else if (token != ".") {
      text += "[=";
      text += token.substr(2);
      text += "]";
    }
  }
  return text;
}

json* find_field(json& root, const FieldPath& path) {
  json* node = &root;
  for (const std::string_view token : path) {
    node = step(*node, token);
    if (node == nullptr) return nullptr;
  }
  return node;
}

bool erase_field(json& root, const FieldPath& path) {
  if (path.empty()) return false;
  const bool item = path.back() == ".";
  if (item && path.size() < 2) return false;
  const std::size_t token_index = path.size() - (item ? 2 : 1);
  json* parent = find_field(root, path.prefix(token_index));
  if (parent == nullptr) return false;
  const std::string token = path.at(token_index);
  if (is_member_token(token)) {
    return parent->is_object() && parent->erase(token.substr(2)) > 0;
  }
  if (!parent->is_array()) return false;
  const std::optional<std::size_t> index = find_element(*parent, token);
  if (!index.has_value()) return false;
  parent->erase(*index);
  return true;
}

bool is_member_token(std::string_view token) {
  return token.starts_with("f:");
}
bool is_key_token(std::string_view token) {
  return token.starts_with("k:");
}

json parse_token_value(std::string_view token) {
  if (token.size() < 2) return json();
  json value = json::parse(token.substr(2), nullptr, /*allow_exceptions=*/false);
  return value.is_discarded() ? json() : value;
}

}  // namespace mesh::kube_sim
