// The workload (users creating, editing and deleting AnyApplications) and the faults of a
// World's timeline.
#include <algorithm>
#include <cmath>

#include "engine/json_util.h"
#include "engine/strategy.h"
#include "simulator/internal/world_impl.h"

namespace mesh::simulator::internal {

namespace {

const kube_sim::GroupVersionResource anyapplications{"dcp.hiro.io", "v1", "anyapplications"};
constexpr const char* user_manager = "kubectl";

Json application(const std::string& name, const std::vector<std::string>& placements,
                 const std::string& strategy, const std::string& version, std::size_t padding) {
  Json helm = {{"repository", "https://charts.example.com/stable"},
               {"chart", "nginx-ingress"},
               {"version", version},
               {"namespace", "default"}};
  if (padding > 0) helm["values"] = std::string(padding, 'x');
  return {{"apiVersion", "dcp.hiro.io/v1"},
          {"kind", "AnyApplication"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec",
           {{"zones", std::max<std::size_t>(placements.size(), 1)},
            {"source", {{"helm", helm}}},
            {"placementStrategy", {{"strategy", strategy}}}}}};
}

}  // namespace

void Impl::user_create(Zone& zone, const std::string& app,
                       const std::vector<std::string>& placements, const std::string& strategy,
                       const std::string& version) {
  zone.api->set_time(now_of(zone).wall);
  const Json object = application(app, placements, strategy, version.empty() ? "1.0.0" : version,
                                  scenario_.random.object_size_bytes);
  const kube_sim::WriteRequest create{.verb = kube_sim::Verb::create,
                                      .key = {anyapplications, "default", ""},
                                      .options = {.field_manager = user_manager}};
  auto created = zone.api->write(create, object);
  if (!created.ok()) {
    trace(&zone, "user create " + app + " failed: " + created.error().message);
    return;
  }
  // The owner and the placement decision are written with the object, as the seed's own test
  // does: the placement service of the owner zone. Zones the mesh copies it to must not claim.
  // A placement list names each zone once (it is keyed by zone).
  std::vector<std::string> unique = placements;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  Json placement_list = Json::array();
  for (const std::string& placement : unique) placement_list.push_back({{"zone", placement}});
  Json status = {{"ownership", {{"owner", zone.name}, {"epoch", 1}, {"state", "New"}}}};
  if (!unique.empty()) status["ownership"]["placements"] = placement_list;
  Json patch = {{"status", status}};
  const kube_sim::WriteRequest claim{.verb = kube_sim::Verb::patch,
                                     .subresource = kube_sim::Subresource::status,
                                     .patch_type = kube_sim::PatchType::merge,
                                     .key = {anyapplications, "default", app},
                                     .options = {.field_manager = user_manager}};
  (void)zone.api->write(claim, patch);
  result_.stats.user_operations++;
  trace(&zone, "user create " + app);
  timeline(&zone, "user", "create " + app);
  pump_watches(zone);
  wake_controller(zone);
}

void Impl::user_update(Zone& zone, const std::string& app, const std::string& version) {
  zone.api->set_time(now_of(zone).wall);
  const kube_sim::ObjectKey key{anyapplications, "default", app};
  auto current = zone.api->get_shared(key);
  if (!current.ok()) return;
  Json object = *current.value();
  object["spec"]["source"]["helm"]["version"] =
      version.empty() ? "1.0." + std::to_string(++user_counter_) : version;
  const kube_sim::WriteRequest update{
      .verb = kube_sim::Verb::update, .key = key, .options = {.field_manager = user_manager}};
  if (!zone.api->write(update, object).ok()) return;
  result_.stats.user_operations++;
  trace(&zone, "user update " + app);
  timeline(&zone, "user", "update " + app);
  pump_watches(zone);
  wake_controller(zone);
}

void Impl::user_delete(Zone& zone, const std::string& app) {
  zone.api->set_time(now_of(zone).wall);
  const kube_sim::ObjectKey key{anyapplications, "default", app};
  auto current = zone.api->get_shared(key);
  if (!current.ok()) return;
  // Only the owner zone decides an object's life; a delete elsewhere is undone by the mesh.
  const bool owner =
      engine::string_at(*current.value(), {"status", "ownership", "owner"}) == zone.name;
  if (!zone.api->remove(key).ok()) return;
  result_.stats.user_operations++;
  if (owner) deletes_.push_back({app, zone.name, elapsed()});
  trace(&zone, "user delete " + app + (owner ? " (owner)" : ""));
  timeline(&zone, "user", "delete " + app);
  pump_watches(zone);
  wake_controller(zone);
}

void Impl::schedule_next_workload() {
  const RandomWorkload& random = scenario_.random;
  if (random.operations_per_second <= 0) return;
  // Exponential gaps: a Poisson stream of user operations.
  const double gap_s = -std::log(std::max(prng_.unit(), 1e-12)) / random.operations_per_second;
  const Instant at = now_ + Duration::from_ns(static_cast<std::int64_t>(gap_s * 1e9) + 1);
  if (random.stop_at && at - start_ > *random.stop_at) return;
  if (at >= end_) return;
  schedule(at, Event{EventKind::workload, 0, 0, {}});
}

void Impl::random_operation() {
  std::vector<Zone*> running;
  for (auto& zone : zones_) {
    if (zone->state == Zone::State::running) running.push_back(zone.get());
  }
  if (running.empty()) return;
  Zone& zone = *running[prng_.below(running.size())];
  const RandomWorkload& random = scenario_.random;
  const std::string app = "app" + std::to_string(prng_.below(random.objects));
  zone.api->set_time(now_of(zone).wall);
  const bool exists = zone.api->get_shared({anyapplications, "default", app}).ok();
  const double roll = prng_.unit();
  if (!exists) {
    // The creating zone plus up to two others, as applications asking for a few zones do: a
    // share of every zone would make objects grow with the size of the world.
    std::vector<std::string> others;
    for (auto& other : zones_) {
      if (other.get() != &zone) others.push_back(other->name);
    }
    std::vector<std::string> placements = {zone.name};
    const std::size_t extra = std::min<std::size_t>(prng_.below(3), others.size());
    for (std::size_t pick = 0; pick < extra; pick++) {
      const std::size_t chosen = pick + prng_.below(others.size() - pick);
      std::swap(others[pick], others[chosen]);
      placements.push_back(others[pick]);
    }
    std::sort(placements.begin(), placements.end());
    user_create(zone, app, placements, "Global", "");
  } else if (roll < random.delete_fraction) {
    user_delete(zone, app);
  } else if (roll < random.delete_fraction + random.update_fraction) {
    user_update(zone, app, "");
  }
}

void Impl::set_partition(const Action& action) {
  for (std::size_t i = 0; i < action.groups.size(); i++) {
    for (std::size_t j = 0; j < action.groups.size(); j++) {
      if (i == j || (action.one_way && j < i)) continue;
      for (const std::string& a : action.groups[i]) {
        for (const std::string& b : action.groups[j]) {
          network_.block(zone_named(a)->host, zone_named(b)->host);
        }
      }
    }
  }
}

void Impl::heal_all() {
  network_.heal(now_);
  flapping_.clear();
  for (auto& zone : zones_) {
    if (zone->state == Zone::State::paused) {
      Action resume;
      resume.kind = ActionKind::resume;
      resume.zone = zone->name;
      apply_action(resume);
    }
    zone->api->resume();
    zone->api->clear_failure_rules();
    // A conflict storm is a fault too: conflicts our retries have not consumed yet end here
    // (found by the convergence property: they outlived the heal).
    zone->api->clear_injected_conflicts();
  }
  trace(nullptr, "heal");
  timeline(nullptr, "fault", "heal all");
}

void Impl::block_or_unblock(const Action& action) {
  MESH_ASSERT(action.kind == ActionKind::block || action.kind == ActionKind::unblock);
  const io_sim::HostId from = zone_named(action.from)->host;
  const io_sim::HostId to = zone_named(action.to)->host;
  if (action.kind == ActionKind::block) {
    network_.block(from, to);
    if (!action.one_way) network_.block(to, from);
  } else {
    network_.unblock(now_, from, to);
    if (!action.one_way) network_.unblock(now_, to, from);
  }
}

// What the zone missed while paused is delivered now, in the order it arrived.
void Impl::resume_zone(Zone& zone) {
  MESH_ASSERT(zone.state == Zone::State::paused);
  zone.state = Zone::State::running;
  std::deque<io_sim::NetEvent> network_events = std::move(zone.held_network);
  std::deque<Event> events = std::move(zone.held_events);
  zone.held_network.clear();
  zone.held_events.clear();
  for (auto& event : events) schedule(now_, std::move(event));
  for (auto& event : network_events) dispatch_network(event);
  reschedule_wake(zone);
  if (zone.wake_at && *zone.wake_at <= now_) {
    zone.wake_generation++;
    schedule(now_, Event{EventKind::node_wake, zone.index, zone.wake_generation, {}});
  }
}

// A competing writer answers the next `count` writes to every application with 409.
void Impl::storm_conflicts(Zone& zone, std::size_t count) {
  for (const kube_sim::SharedObject& object : zone.api->snapshot_shared(anyapplications)) {
    const kube_sim::ObjectKey key{anyapplications, "default",
                                  engine::string_at(*object, {"metadata", "name"})};
    for (std::size_t i = 0; i < std::max<std::size_t>(count, 1); i++) {
      (void)zone.api->inject_conflict({.key = key, .competing_write = true});
    }
  }
}

void Impl::set_controller_health(Zone& zone, const Action& action) {
  if (!zone.controller) return;
  for (const Health health : {Health::healthy, Health::progressing, Health::degraded,
                              Health::missing, Health::suspended, Health::unknown}) {
    if (health_name(health) == action.value) {
      (void)zone.controller->set_health({"default", action.app}, health);
    }
  }
  wake_controller(zone);
}

void Impl::apply_action(const Action& action) {
  Zone* zone = action.zone.empty() ? nullptr : zone_named(action.zone);
  if (action.kind >= ActionKind::assert_converged) {
    check_assertion(action);
    return;
  }
  trace(zone, std::string("action ") + to_string(action.kind));
  switch (action.kind) {
    case ActionKind::create:
      if (zone->state == Zone::State::running || zone->state == Zone::State::crashed) {
        user_create(*zone, action.app, action.zones, action.strategy, action.value);
      }
      return;
    case ActionKind::update: user_update(*zone, action.app, action.value); return;
    case ActionKind::remove: user_delete(*zone, action.app); return;
    case ActionKind::partition: set_partition(action); break;
    case ActionKind::block:
    case ActionKind::unblock: block_or_unblock(action); break;
    case ActionKind::isolate:
      for (auto& other : zones_) {
        if (other.get() == zone) continue;
        network_.block(zone->host, other->host);
        network_.block(other->host, zone->host);
      }
      break;
    case ActionKind::heal: heal_all(); return;
    case ActionKind::flap: {
      flapping_.insert(action.zones.at(0) + "|" + action.zones.at(1));
      const auto index = static_cast<std::size_t>(&action - scenario_.timeline.data());
      schedule(now_, Event{EventKind::flap, 0, 0, index});
      break;
    }
    case ActionKind::crash: crash_zone(*zone); return;
    case ActionKind::restart:
      if (zone->state == Zone::State::running || zone->state == Zone::State::paused) {
        crash_zone(*zone);
      }
      start_zone(*zone, action.from_checkpoint);
      return;
    case ActionKind::pause:
      if (zone->state == Zone::State::running) zone->state = Zone::State::paused;
      break;
    case ActionKind::resume:
      if (zone->state != Zone::State::paused) return;
      resume_zone(*zone);
      break;
    case ActionKind::clock_jump: zone->clock.jump_wall(action.by); break;
    case ActionKind::clock_drift: zone->clock.set_drift(now_, action.ppm); break;
    case ActionKind::reset: (void)network_.reset_random(now_); break;
    case ActionKind::watch_drop:
      zone->api->drop_all_watches(kube_sim::WatchDrop::close);
      pump_watches(*zone);
      break;
    case ActionKind::compact:
      zone->api->compact_history();
      zone->api->drop_all_watches(kube_sim::WatchDrop::gone_error);
      pump_watches(*zone);
      break;
    case ActionKind::api_pause: zone->api->pause(); break;
    case ActionKind::api_resume: zone->api->resume(); break;
    case ActionKind::conflict_storm: storm_conflicts(*zone, action.count); break;
    case ActionKind::health: set_controller_health(*zone, action); break;
    default: MESH_UNREACHABLE();
  }
  timeline(zone, "fault", to_string(action.kind));
}

}  // namespace mesh::simulator::internal
