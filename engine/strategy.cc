#include "engine/strategy.h"

#include <algorithm>
#include <charconv>

#include "engine/json_util.h"

namespace mesh::engine {

namespace {

bool is_mesh_key(std::string_view key) {
  return key == owner_zone_label || key == generation_annotation;
}

// Labels or annotations without the ones the mesh writes; absent when empty.
std::optional<Json> user_map(const Json& object, const char* field) {
  const Json& map = value_at(object, {"metadata", field});
  if (!map.is_object()) return std::nullopt;
  Json out = Json::object();
  for (const auto& [key, value] : map.items()) {
    if (!is_mesh_key(key)) out[key] = value;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

Json metadata_for(const std::string& namespace_name, const std::string& name, const Json& content,
                  const std::string& owner_zone, std::uint64_t generation) {
  Json metadata = {{"name", name}, {"namespace", namespace_name}};
  Json labels = content.contains("labels") ? content["labels"] : Json::object();
  labels[owner_zone_label] = owner_zone;
  metadata["labels"] = labels;
  Json annotations = content.contains("annotations") ? content["annotations"] : Json::object();
  annotations[generation_annotation] = std::to_string(generation);
  metadata["annotations"] = annotations;
  return metadata;
}

// The next member of `map` from `at` on that is not `skipped` (by key).
template <typename Skipped>
Json::const_iterator next_kept(const Json& map, Json::const_iterator at, const Skipped& skipped) {
  while (at != map.cend() && skipped(at.key())) ++at;
  return at;
}

// One of metadata_for's maps (labels or annotations) on both sides: the desired map is the
// content's (any keys, an absent or null one empty) with `mesh_key` set to `desired_value`;
// the held one is the local object's user map (the mesh's keys dropped) with `mesh_key` set
// to `held_value`.
struct MetadataMap {
  const char* field;
  const char* mesh_key;
  std::string desired_value;
  std::string held_value;
};

// Whether the map is the same on both sides, without building either. Both maps iterate in
// key order, so one walk compares them; keys and values compare as their canonical text does.
bool same_metadata_map(const Json& content, const Json& local, const MetadataMap& map) {
  MESH_ASSERT(is_mesh_key(map.mesh_key));
  if (!same_canonical_string(map.desired_value, map.held_value)) return false;
  static const Json empty = Json::object();
  const auto desired_member = content.find(map.field);
  // A payload's map is checked to be an object (owner_content_problem); a null one is empty.
  const Json& desired = desired_member != content.end() && desired_member->is_object()
                            ? *desired_member
                            : empty;
  const Json& held_member = value_at(local, {"metadata", map.field});
  const Json& held = held_member.is_object() ? held_member : empty;
  const auto desired_skipped = [&](const std::string& key) { return key == map.mesh_key; };
  const auto held_skipped = [](const std::string& key) { return is_mesh_key(key); };
  auto d = next_kept(desired, desired.cbegin(), desired_skipped);
  auto h = next_kept(held, held.cbegin(), held_skipped);
  while (d != desired.cend() && h != held.cend()) {
    if (!same_canonical_string(d.key(), h.key())) return false;
    if (!same_canonical(d.value(), h.value())) return false;
    d = next_kept(desired, std::next(d), desired_skipped);
    h = next_kept(held, std::next(h), held_skipped);
  }
  return d == desired.cend() && h == held.cend();
}

class AnyApplicationStrategy final : public Strategy {
 public:
  std::string declared_owner(const Json& object, const std::string&) const override {
    return string_at(object, {"status", "ownership", "owner"});
  }
  std::int64_t declared_epoch(const Json& object) const override {
    const Json& epoch = value_at(object, {"status", "ownership", "epoch"});
    return epoch.is_number_integer() ? epoch.get<std::int64_t>() : 0;
  }
  Json owner_content(const Json& object) const override {
    Json content = Json::object();
    if (auto labels = user_map(object, "labels")) content["labels"] = *labels;
    if (auto annotations = user_map(object, "annotations")) content["annotations"] = *annotations;
    const Json& spec = value_at(object, {"spec"});
    if (!spec.is_null()) content["spec"] = spec;
    const Json& ownership = value_at(object, {"status", "ownership"});
    if (!ownership.is_null()) content["ownership"] = ownership;
    return content;
  }
  std::string content_owner(const Json& content) const override {
    return string_at(content, {"ownership", "owner"});
  }
  std::int64_t content_epoch(const Json& content) const override {
    const Json& epoch = value_at(content, {"ownership", "epoch"});
    return epoch.is_number_integer() ? epoch.get<std::int64_t>() : 0;
  }
  Json with_owner(const Json& content, const std::string& zone, std::int64_t epoch) const override {
    Json out = content;
    if (!out["ownership"].is_object()) out["ownership"] = Json::object();
    out["ownership"]["owner"] = zone;
    out["ownership"]["epoch"] = epoch;
    return out;
  }
  bool has_zone_parts() const override { return true; }
  ZoneEntries zone_entries(const Json& object) const override {
    ZoneEntries entries;
    const Json& zones = value_at(object, {"status", "zones"});
    if (!zones.is_array()) return entries;
    for (const Json& entry : zones) {
      const std::string zone = string_at(entry, {"zoneId"});
      if (!zone.empty()) entries[zone] = &entry;  // the last entry of a zone
    }
    return entries;
  }
  std::vector<std::string> placements(const Json& content) const override {
    std::vector<std::string> zones;
    const Json& list = value_at(content, {"ownership", "placements"});
    if (!list.is_array()) return zones;
    for (const Json& placement : list) {
      const std::string zone = string_at(placement, {"zone"});
      if (!zone.empty()) zones.push_back(zone);
    }
    std::sort(zones.begin(), zones.end());
    zones.erase(std::unique(zones.begin(), zones.end()), zones.end());
    return zones;
  }
  Json main_body(const ResourceKind& kind, const std::string& namespace_name,
                 const std::string& name, const Json& content, std::uint64_t generation,
                 const std::string& owner_zone) const override {
    Json body = {{"apiVersion", kind.api_version()},
                 {"kind", kind.kind},
                 {"metadata", metadata_for(namespace_name, name, content, owner_zone, generation)}};
    if (content.contains("spec")) body["spec"] = content["spec"];
    return body;
  }
  std::optional<Json> status_body(const ResourceKind& kind, const std::string& namespace_name,
                                  const std::string& name, const Json& content,
                                  const ZoneEntries& zones) const override {
    Json status = Json::object();
    if (content.contains("ownership")) status["ownership"] = content["ownership"];
    if (!zones.empty()) {
      Json list = Json::array();
      for (const auto& [zone, entry] : zones) {
        MESH_ASSERT(entry != nullptr);
        list.push_back(*entry);
      }
      status["zones"] = std::move(list);
    }
    // Assigned rather than listed: a braced list copies every value it holds.
    Json body = {{"apiVersion", kind.api_version()},
                 {"kind", kind.kind},
                 {"metadata", {{"name", name}, {"namespace", namespace_name}}}};
    body["status"] = std::move(status);
    return body;
  }
  // Piece by piece, without copying the spec, the metadata maps or the zone entries into
  // bodies: this runs on every input that touches an object, and building four bodies to
  // compare them was a tenth of the simulator's instructions (building the two metadata
  // objects alone, 3 %). Exactly Strategy::main_matches (checked by a property). Both bodies
  // carry the same name and namespace, so the metadata differs only in labels and annotations.
  bool main_matches(const ResourceKind&, const std::string&, const std::string&,
                    const Json& content, std::uint64_t generation, const std::string& owner_zone,
                    const Json& local) const override {
    const MetadataMap labels{
        .field = "labels",
        .mesh_key = owner_zone_label,
        .desired_value = owner_zone,
        .held_value = string_at(local, {"metadata", "labels", owner_zone_label})};
    if (!same_metadata_map(content, local, labels)) return false;
    const MetadataMap annotations{.field = "annotations",
                                  .mesh_key = generation_annotation,
                                  .desired_value = std::to_string(generation),
                                  .held_value = std::to_string(declared_generation(local))};
    if (!same_metadata_map(content, local, annotations)) return false;
    const Json& held_spec = value_at(local, {"spec"});
    const bool desired_has_spec = content.contains("spec");
    if (desired_has_spec != !held_spec.is_null()) return false;
    return !desired_has_spec || same_canonical(content["spec"], held_spec);
  }
  // Exactly Strategy::status_matches (checked by a property): the bodies hold the ownership
  // and the list of entries in zone order, so they are compared as that.
  bool status_matches(const ResourceKind&, const std::string&, const std::string&,
                      const Json& content, const ZoneEntries& zones, const std::string& own_zone,
                      const Json& local) const override {
    const Json& held_ownership = value_at(local, {"status", "ownership"});
    const bool desired_has_ownership = content.contains("ownership");
    if (desired_has_ownership != !held_ownership.is_null()) return false;
    if (desired_has_ownership && !same_canonical(content["ownership"], held_ownership)) {
      return false;
    }
    const ZoneEntries held = zone_entries(local);
    ZoneEntries desired;
    for (const auto& [zone, entry] : zones) {
      if (zone != own_zone) desired[zone] = entry;
    }
    if (const auto own = held.find(own_zone); own != held.end()) desired[own_zone] = own->second;
    if (desired.size() != held.size()) return false;
    // Only the entries' order and values reach the bodies, not the zone names they sit under.
    return std::equal(
        desired.begin(), desired.end(), held.begin(),
        [](const auto& a, const auto& b) { return same_canonical(*a.second, *b.second); });
  }
};

// Fields of metadata the server owns or that belong to one cluster only.
bool is_local_metadata(const std::string& key) {
  static const char* const keys[] = {"uid",
                                     "resourceVersion",
                                     "generation",
                                     "creationTimestamp",
                                     "managedFields",
                                     "deletionTimestamp",
                                     "deletionGracePeriodSeconds",
                                     "selfLink",
                                     "finalizers",
                                     "ownerReferences",
                                     "name",
                                     "namespace",
                                     "labels",
                                     "annotations",
                                     "generateName"};
  return std::find(std::begin(keys), std::end(keys), key) != std::end(keys);
}

class OwnerLabelStrategy final : public Strategy {
 public:
  std::string declared_owner(const Json& object, const std::string& local_zone) const override {
    const std::string label = string_at(object, {"metadata", "labels", owner_zone_label});
    // Unlabeled objects belong to the zone they were created in (the seed's rule).
    return label.empty() ? local_zone : label;
  }
  std::int64_t declared_epoch(const Json&) const override { return 0; }
  Json owner_content(const Json& object) const override {
    Json content = Json::object();
    if (auto labels = user_map(object, "labels")) content["labels"] = *labels;
    if (auto annotations = user_map(object, "annotations")) content["annotations"] = *annotations;
    Json body = Json::object();
    if (object.is_object()) {
      for (const auto& [key, value] : object.items()) {
        if (key != "metadata" && key != "apiVersion" && key != "kind") body[key] = value;
      }
      const Json& metadata = value_at(object, {"metadata"});
      if (metadata.is_object()) {
        for (const auto& [key, value] : metadata.items()) {
          if (!is_local_metadata(key)) body["metadata"][key] = value;
        }
      }
    }
    content["body"] = body;
    return content;
  }
  std::string content_owner(const Json& content) const override {
    return string_at(content, {"owner"});
  }
  std::int64_t content_epoch(const Json&) const override { return 0; }
  Json with_owner(const Json& content, const std::string&, std::int64_t) const override {
    return content;
  }
  bool has_zone_parts() const override { return false; }
  ZoneEntries zone_entries(const Json&) const override { return {}; }
  std::vector<std::string> placements(const Json&) const override { return {}; }
  Json main_body(const ResourceKind& kind, const std::string& namespace_name,
                 const std::string& name, const Json& content, std::uint64_t generation,
                 const std::string& owner_zone) const override {
    Json body = {{"apiVersion", kind.api_version()},
                 {"kind", kind.kind},
                 {"metadata", metadata_for(namespace_name, name, content, owner_zone, generation)}};
    const Json& fields = value_at(content, {"body"});
    if (fields.is_object()) {
      for (const auto& [key, value] : fields.items()) {
        if (key == "metadata") {
          for (const auto& [meta_key, meta_value] : value.items()) {
            body["metadata"][meta_key] = meta_value;
          }
        } else if (key != "status") {
          body[key] = value;
        }
      }
    }
    return body;
  }
  std::optional<Json> status_body(const ResourceKind& kind, const std::string& namespace_name,
                                  const std::string& name, const Json& content,
                                  const ZoneEntries&) const override {
    const Json& status = value_at(content, {"body", "status"});
    if (status.is_null()) return std::nullopt;
    return Json{{"apiVersion", kind.api_version()},
                {"kind", kind.kind},
                {"metadata", {{"name", name}, {"namespace", namespace_name}}},
                {"status", status}};
  }
};

}  // namespace

bool Strategy::main_matches(const ResourceKind& kind, const std::string& namespace_name,
                            const std::string& name, const Json& content, std::uint64_t generation,
                            const std::string& owner_zone, const Json& local) const {
  const Json desired = main_body(kind, namespace_name, name, content, generation, owner_zone);
  const Json held =
      main_body(kind, namespace_name, name, owner_content(local), declared_generation(local),
                string_at(local, {"metadata", "labels", owner_zone_label}));
  return same_canonical(desired, held);
}

std::optional<Json> Strategy::status_body_keeping_own(
    const ResourceKind& kind, const std::string& namespace_name, const std::string& name,
    const Json& content, ZoneEntries zones, const std::string& own_zone, const Json& local) const {
  zones.erase(own_zone);
  const ZoneEntries local_zones = zone_entries(local);
  if (const auto own = local_zones.find(own_zone); own != local_zones.end()) {
    zones[own_zone] = own->second;
  }
  return status_body(kind, namespace_name, name, content, zones);
}

bool Strategy::status_matches(const ResourceKind& kind, const std::string& namespace_name,
                              const std::string& name, const Json& content,
                              const ZoneEntries& zones, const std::string& own_zone,
                              const Json& local) const {
  const auto desired =
      status_body_keeping_own(kind, namespace_name, name, content, zones, own_zone, local);
  if (!desired) return true;
  const auto held =
      status_body(kind, namespace_name, name, owner_content(local), zone_entries(local));
  return held && same_canonical(*desired, *held);
}

std::unique_ptr<Strategy> make_strategy(StrategyKind kind) {
  switch (kind) {
    case StrategyKind::anyapplication: return std::make_unique<AnyApplicationStrategy>();
    case StrategyKind::default_owner_label: return std::make_unique<OwnerLabelStrategy>();
  }
  MESH_UNREACHABLE();
}

std::uint64_t declared_generation(const Json& object) {
  const std::string text = string_at(object, {"metadata", "annotations", generation_annotation});
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return 0;
  return value;
}

}  // namespace mesh::engine
