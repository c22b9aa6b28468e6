#include "kube_sim/field_manager.h"

#include <algorithm>
#include <utility>

#include "engine/assert.h"
#include "kube_sim/limits.h"

namespace mesh::kube_sim {
namespace {

using json = ::mesh::engine::Json;

// The name the real server gives the merged oldest Update entries (capmanagers.go).
constexpr std::string_view ancient_changes_manager = "ancient-changes";

struct FieldDiff {
  FieldSet upserted;  // added or modified
  FieldSet changed;   // added, modified or removed
};

FieldDiff diff_fields(const FieldValues& before, const FieldValues& after) {
  FieldDiff diff;
  auto old_field = before.begin();
  auto new_field = after.begin();
  while (old_field != before.end() || new_field != after.end()) {
    if (new_field == after.end() ||
        (old_field != before.end() && old_field->first < new_field->first)) {
      diff.changed.insert(old_field->first);
      ++old_field;
    } else if (old_field == before.end() || new_field->first < old_field->first) {
      diff.upserted.insert(new_field->first);
      diff.changed.insert(new_field->first);
      ++new_field;
    } else {
      if (old_field->second != new_field->second) {
        diff.upserted.insert(new_field->first);
        diff.changed.insert(new_field->first);
      }
      ++old_field;
      ++new_field;
    }
  }
  MESH_ASSERT(diff.upserted.size() <= diff.changed.size());
  return diff;
}

void subtract(FieldSet& fields, const FieldSet& removed) {
  for (const FieldPath& path : removed) fields.erase(path);
}

FieldSet keys_of(const FieldValues& values) {
  FieldSet keys;
  for (const auto& entry : values) keys.insert(keys.end(), entry.first);
  return keys;
}

bool same_entry(const ManagedEntry& entry, std::string_view manager, ManagedOperation operation,
                bool status_subresource) {
  return entry.manager == manager && entry.operation == operation &&
         entry.status_subresource == status_subresource;
}

std::size_t find_entry(const ManagedEntries& entries, std::string_view manager,
                       ManagedOperation operation, bool status_subresource) {
  for (std::size_t index = 0; index < entries.size(); index++) {
    if (same_entry(entries[index], manager, operation, status_subresource)) return index;
  }
  return entries.size();
}

// Sets the writer's entry of `operation` to `fields`, stamping the time only when they change.
void set_entry(ManagedEntries& entries, const FieldWriter& writer, ManagedOperation operation,
               FieldSet fields) {
  std::size_t index = find_entry(entries, writer.manager, operation, writer.status_subresource);
  if (index == entries.size()) {
    entries.push_back({writer.manager, operation, writer.status_subresource, writer.time, {}});
  }
  ManagedEntry& entry = entries[index];
  if (entry.fields != fields) entry.time = writer.time;
  entry.fields = std::move(fields);
}

void drop_empty(ManagedEntries& entries) {
  std::erase_if(entries, [](const ManagedEntry& entry) { return entry.fields.empty(); });
}

// The index of the oldest Update entry of one subresource, other than "ancient-changes".
std::size_t oldest_update(const ManagedEntries& entries, bool status_subresource) {
  std::size_t oldest = entries.size();
  for (std::size_t index = 0; index < entries.size(); index++) {
    const ManagedEntry& entry = entries[index];
    if (entry.operation != ManagedOperation::update) continue;
    if (entry.status_subresource != status_subresource) continue;
    if (entry.manager == ancient_changes_manager) continue;
    if (oldest == entries.size() || entry.time < entries[oldest].time) oldest = index;
  }
  return oldest;
}

std::size_t update_count(const ManagedEntries& entries, bool status_subresource) {
  return static_cast<std::size_t>(
      std::count_if(entries.begin(), entries.end(), [&](const ManagedEntry& entry) {
        return entry.operation == ManagedOperation::update &&
               entry.status_subresource == status_subresource;
      }));
}

// Keeps at most update_managers_per_object_max Update entries per subresource by folding the
// oldest into "ancient-changes", as the real server does.
void cap_update_managers(ManagedEntries& entries) {
  for (const bool status_subresource : {false, true}) {
    const std::size_t rounds_max = entries.size() + 1;
    for (std::size_t round = 0; round < rounds_max; round++) {
      if (update_count(entries, status_subresource) <= update_managers_per_object_max) break;
      const std::size_t oldest = oldest_update(entries, status_subresource);
      MESH_ASSERT(oldest < entries.size());
      const std::size_t ancient = find_entry(entries, ancient_changes_manager,
                                             ManagedOperation::update, status_subresource);
      if (ancient == entries.size()) {
        entries[oldest].manager = std::string(ancient_changes_manager);
        continue;
      }
      ManagedEntry& target = entries[ancient];
      target.fields.insert(entries[oldest].fields.begin(), entries[oldest].fields.end());
      target.time = std::max(target.time, entries[oldest].time);
      entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(oldest));
    }
    MESH_ASSERT(update_count(entries, status_subresource) <= update_managers_per_object_max);
  }
}

// Whether `fields` holds `prefix` or any path below it.
bool owns_within(const FieldSet& fields, const FieldPath& prefix) {
  const auto found = fields.lower_bound(prefix);
  return found != fields.end() && found->starts_with(prefix);
}

// The key member of a keyed list item (".../k:{"zoneId":"a"}/f:zoneId"): it leaves only with
// its item, never on its own, or the item would lose its identity.
bool is_item_key_field(const FieldPath& path) {
  if (path.size() < 2) return false;
  const std::string item_token = path.at(path.size() - 2);
  if (!is_key_token(item_token)) return false;
  const json key = parse_token_value(item_token);
  return key.is_object() && key.size() == 1 && path.back() == "f:" + key.begin().key();
}

// Removes objects and lists that became empty above a removed field, unless someone owns them.
void prune_empty(json& object, FieldPath path, const FieldSet& kept) {
  while (!path.empty()) {
    if (!is_member_token(path.back())) return;  // list items leave only through "."
    if (path.size() == 1 && path.front() == "f:metadata") return;
    const json* node = find_field(object, path);
    if (node == nullptr || !(node->is_object() || node->is_array()) || !node->empty()) return;
    if (kept.contains(path)) return;
    erase_field(object, path);
    path.pop_back();
  }
}

// Removes the fields an apply no longer sets, unless another manager owns them (or, for an
// item, anything inside it).
void remove_unapplied(json& object, const FieldSet& removed, const FieldSet& others,
                      const FieldSet& kept) {
  for (const FieldPath& path : removed) {
    MESH_ASSERT(!path.empty());
    if (path.back() == ".") {
      const FieldPath item = path.prefix(path.size() - 1);
      if (owns_within(others, item)) continue;
      if (erase_field(object, path)) {
        prune_empty(object, item.prefix(item.size() - 1), kept);
      }
      continue;
    }
    if (others.contains(path) || is_item_key_field(path)) continue;
    if (erase_field(object, path)) {
      prune_empty(object, path.prefix(path.size() - 1), kept);
    }
  }
}

void merge_set(json& live, const json& applied) {
  for (const json& element : applied) {
    if (std::find(live.begin(), live.end(), element) == live.end()) live.push_back(element);
  }
}

struct MergeFrame {
  json* target;
  const json* source;
  std::string dotted;
};

// Merges applied items into live items by key: matching items merge member by member (pushed
// as frames), new ones are appended in the configuration's order. Live order is kept.
void merge_keyed(json& live, const json& applied, const std::string& key, const std::string& dotted,
                 std::vector<MergeFrame>& stack) {
  std::vector<std::pair<std::size_t, const json*>> matches;
  const std::size_t live_count = live.size();
  for (const json& item : applied) {
    const auto item_key = item.find(key);
    std::size_t match = live_count;
    for (std::size_t index = 0; index < live_count && item_key != item.end(); index++) {
      const json& candidate = live[index];
      const auto candidate_key = candidate.find(key);
      if (candidate_key != candidate.end() && *candidate_key == *item_key) match = index;
    }
    if (match < live_count) {
      matches.emplace_back(match, &item);
    } else {
      live.push_back(item);
    }
  }
  // Frames point into `live` only after every append, so the pointers stay valid.
  for (const auto& [index, item] : matches) stack.push_back({&live[index], item, dotted});
}

void merge_configuration(json& target, const json& configuration, std::span<const ListRule> rules) {
  std::vector<MergeFrame> stack{{&target, &configuration, ""}};
  while (!stack.empty()) {
    MergeFrame frame = std::move(stack.back());
    stack.pop_back();
    if (!frame.target->is_object()) *frame.target = json::object();
    // Frames into this object's own members are pushed after its last insert, which moves the
    // members of a flat object (engine/json.h). Frames into arrays stay valid.
    std::vector<std::pair<const std::string*, MergeFrame>> nested;
    for (const auto& [name, value] : frame.source->items()) {
      std::string dotted = frame.dotted.empty() ? name : frame.dotted + "." + name;
      json& slot = (*frame.target)[name];
      if (value.is_object() && slot.is_object()) {
        nested.push_back({&name, {nullptr, &value, std::move(dotted)}});
        continue;
      }
      const bool lists = value.is_array() && slot.is_array();
      const ListRule* rule = lists ? find_list_rule(rules, dotted) : nullptr;
      if (rule == nullptr) {
        slot = value;
      } else if (rule->key.empty()) {
        merge_set(slot, value);
      } else {
        merge_keyed(slot, value, rule->key, dotted, stack);
      }
    }
    for (auto& [name, nested_frame] : nested) {
      nested_frame.target = &frame.target->at(*name);
      stack.push_back(std::move(nested_frame));
    }
  }
}

FieldSet owned_by_others(const ManagedEntries& entries, const std::string& manager) {
  FieldSet owned;
  for (const ManagedEntry& entry : entries) {
    if (entry.manager != manager) owned.insert(entry.fields.begin(), entry.fields.end());
  }
  return owned;
}

// Conflicts are judged per manager name: one controller that both updates and applies under
// the same name does not conflict with itself.
std::vector<FieldConflict> find_conflicts(const ManagedEntries& entries, const std::string& manager,
                                          const FieldSet& changed) {
  std::vector<FieldConflict> conflicts;
  for (const ManagedEntry& entry : entries) {
    if (entry.manager == manager) continue;
    for (const FieldPath& path : changed) {
      if (entry.fields.contains(path)) conflicts.push_back({path, entry.manager});
    }
  }
  return conflicts;
}

std::size_t apply_count(const ManagedEntries& entries) {
  return static_cast<std::size_t>(std::count_if(
      entries.begin(), entries.end(),
      [](const ManagedEntry& entry) { return entry.operation == ManagedOperation::apply; }));
}

ApplyFailure invalid_failure(std::string text) {
  return ApplyFailure{std::move(text), {}};
}

}  // namespace

void record_update(ManagedEntries& entries, const FieldValues& before, const FieldValues& after,
                   const FieldWriter& writer) {
  const FieldDiff diff = diff_fields(before, after);
  const std::size_t index =
      find_entry(entries, writer.manager, ManagedOperation::update, writer.status_subresource);
  FieldSet fields = index < entries.size() ? entries[index].fields : FieldSet{};
  for (ManagedEntry& entry : entries) subtract(entry.fields, diff.changed);
  subtract(fields, diff.changed);
  fields.insert(diff.upserted.begin(), diff.upserted.end());
  set_entry(entries, writer, ManagedOperation::update, std::move(fields));
  drop_empty(entries);
  cap_update_managers(entries);
}

Result<ApplyOutput, ApplyFailure> apply_configuration(const ApplyInput& input) {
  const FieldWriter& writer = input.writer;
  auto applied = collect_fields(input.configuration, input.rules);
  if (!applied.ok()) return fail(invalid_failure(applied.error()));
  auto before = collect_scoped_fields(input.live, input.scope, input.rules);
  if (!before.ok()) return fail(invalid_failure(before.error()));
  const std::size_t previous =
      find_entry(input.entries, writer.manager, ManagedOperation::apply, writer.status_subresource);
  if (previous == input.entries.size() &&
      apply_count(input.entries) >= apply_managers_per_object_max) {
    return fail(invalid_failure("more than apply_managers_per_object_max=" +
                                std::to_string(apply_managers_per_object_max) + " apply managers"));
  }
  ApplyOutput output{input.live, input.entries};
  merge_configuration(output.object, input.configuration, input.rules);
  FieldSet applied_fields = keys_of(applied.value());
  if (previous < input.entries.size()) {
    FieldSet removed = input.entries[previous].fields;
    subtract(removed, applied_fields);
    const FieldSet others = owned_by_others(input.entries, writer.manager);
    FieldSet kept = others;
    kept.insert(applied_fields.begin(), applied_fields.end());
    remove_unapplied(output.object, removed, others, kept);
  }
  auto after = collect_scoped_fields(output.object, input.scope, input.rules);
  if (!after.ok()) return fail(invalid_failure(after.error()));
  const FieldDiff diff = diff_fields(before.value(), after.value());
  std::vector<FieldConflict> conflicts =
      find_conflicts(input.entries, writer.manager, diff.changed);
  if (!conflicts.empty() && !input.force) return fail(ApplyFailure{{}, std::move(conflicts)});
  for (ManagedEntry& entry : output.entries) subtract(entry.fields, diff.changed);
  set_entry(output.entries, writer, ManagedOperation::apply, std::move(applied_fields));
  drop_empty(output.entries);
  cap_update_managers(output.entries);
  return output;
}

json render_managed_fields(const ManagedEntries& entries, const std::string& api_version) {
  json rendered = json::array();
  for (const ManagedEntry& entry : entries) {
    rendered.push_back(render_managed_entry(entry, api_version));
  }
  MESH_ASSERT(rendered.size() == entries.size());
  return rendered;
}

json render_managed_entry(const ManagedEntry& entry, const std::string& api_version) {
  MESH_ASSERT(!entry.fields.empty());
  json item = {
      {"manager", entry.manager},
      {"operation", entry.operation == ManagedOperation::apply ? "Apply" : "Update"},
      {"apiVersion", api_version},
      {"time", entry.time},
      {"fieldsType", "FieldsV1"},
      {"fieldsV1", encode_fields_v1(entry.fields)},
  };
  if (entry.status_subresource) item["subresource"] = "status";
  return item;
}

void strip_nulls(json& value) {
  std::vector<json*> stack{&value};
  while (!stack.empty()) {
    json* node = stack.back();
    stack.pop_back();
    if (node->is_object()) {
      // Rebuilt without its nulls rather than erased from: each erase from a flat object moves
      // the members after it (engine/json.h). Children are pushed once the object is final.
      json kept = json::object();
      for (auto& [name, child] : node->items()) {
        if (!child.is_null()) kept[name] = std::move(child);  // ascending: appended at the end
      }
      *node = std::move(kept);
      for (json& child : *node) stack.push_back(&child);
    } else if (node->is_array()) {
      for (json& child : *node) stack.push_back(&child);
    }
  }
}

}  // namespace mesh::kube_sim
