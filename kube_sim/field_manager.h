// Field ownership of server-side apply, after sigs.k8s.io/structured-merge-diff.
//
// Entries are keyed by (manager, operation, subresource). An update, patch or create hands every
// field it changes to its manager. An apply owns exactly the fields of its configuration; it
// fails with conflicts when it would change a field another manager owns (unless forced, which
// takes the field over) and removes fields it applied before and no longer applies unless
// another manager still owns them. Lists follow ListRule. Walks are iterative; differences from
// the real field manager are listed in docs/kube_sim.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/json.h"

#include "engine/result.h"
#include "kube_sim/field_set.h"
#include "kube_sim/resource.h"

namespace mesh::kube_sim {

enum class ManagedOperation : std::uint8_t { apply, update };

// One metadata.managedFields entry.
struct ManagedEntry {
  std::string manager;
  ManagedOperation operation = ManagedOperation::update;
  bool status_subresource = false;
  std::string time;  // RFC 3339: when this entry's field set last changed
  FieldSet fields;   // never empty in a stored entry

  bool operator==(const ManagedEntry&) const = default;
};
using ManagedEntries = std::vector<ManagedEntry>;

// The writer of a request: its field manager, subresource and the time to stamp.
struct FieldWriter {
  std::string manager;
  bool status_subresource = false;
  std::string time;
};

struct FieldConflict {
  FieldPath path;
  std::string manager;  // the current owner
};

// Moves ownership after an update, patch or create: every field that differs between before
// and after leaves its owners; the added and modified ones go to the writer's Update entry.
void record_update(ManagedEntries& entries, const FieldValues& before, const FieldValues& after,
                   const FieldWriter& writer);

struct ApplyInput {
  const engine::Json& live;           // the stored object, or a skeleton when apply creates it
  const ManagedEntries& entries;      // the live object's entries
  const engine::Json& configuration;  // scoped() to `scope`, nulls stripped
  FieldScope scope = FieldScope::object;
  std::span<const ListRule> rules;
  FieldWriter writer;
  bool force = false;
};

struct ApplyOutput {
  engine::Json object;
  ManagedEntries entries;
};

// Why an apply failed: an invalid configuration (the text) or conflicts with other managers.
struct ApplyFailure {
  std::string invalid;
  std::vector<FieldConflict> conflicts;
};

Result<ApplyOutput, ApplyFailure> apply_configuration(const ApplyInput& input);

// metadata.managedFields for `entries`, in their order.
engine::Json render_managed_fields(const ManagedEntries& entries, const std::string& api_version);
// One item of metadata.managedFields.
engine::Json render_managed_entry(const ManagedEntry& entry, const std::string& api_version);

// Removes null members of objects at any depth: an apply configuration's nulls mean "not set".
void strip_nulls(engine::Json& value);

}  // namespace mesh::kube_sim
