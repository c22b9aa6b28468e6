#include "engine/strategy.h"

#include <algorithm>
#include <charconv>

#include "engine/json_util.h"

namespace mesh::engine {

namespace {

bool is_mesh_key(const std::string& key) {
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
  std::map<std::string, Json> zone_entries(const Json& object) const override {
    std::map<std::string, Json> entries;
    const Json& zones = value_at(object, {"status", "zones"});
    if (!zones.is_array()) return entries;
    for (const Json& entry : zones) {
      const std::string zone = string_at(entry, {"zoneId"});
      if (!zone.empty()) entries[zone] = entry;
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
                                  std::map<std::string, Json> zones) const override {
    Json status = Json::object();
    if (content.contains("ownership")) status["ownership"] = content["ownership"];
    if (!zones.empty()) {
      Json list = Json::array();
      for (auto& [zone, entry] : zones) list.push_back(std::move(entry));
      status["zones"] = std::move(list);
    }
    // Assigned rather than listed: a braced list copies every value it holds.
    Json body = {{"apiVersion", kind.api_version()},
                 {"kind", kind.kind},
                 {"metadata", {{"name", name}, {"namespace", namespace_name}}}};
    body["status"] = std::move(status);
    return body;
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
  std::map<std::string, Json> zone_entries(const Json&) const override { return {}; }
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
                                  std::map<std::string, Json>) const override {
    const Json& status = value_at(content, {"body", "status"});
    if (status.is_null()) return std::nullopt;
    return Json{{"apiVersion", kind.api_version()},
                {"kind", kind.kind},
                {"metadata", {{"name", name}, {"namespace", namespace_name}}},
                {"status", status}};
  }
};

}  // namespace

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
