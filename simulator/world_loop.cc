// The event loop of World: zones, the engine nodes, io_sim's network and the Kubernetes glue
// (what kube_real does in production: informers that list and watch, and request execution).
#include <algorithm>
#include <cstdio>

#include "engine/json_util.h"
#include "simulator/internal/world_impl.h"

namespace mesh::simulator::internal {

namespace {

constexpr std::int64_t wall_epoch_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
const Duration relist_backoff = Duration::from_seconds(1);
const Duration controller_reaction = Duration::from_ms(1);

std::uint64_t mix(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  engine::Prng prng(seed ^ (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xbf58476d1ce4e5b9ULL));
  return prng.next();
}

engine::Identity zone_identity(const std::string& name) {
  // Keys depend on the zone name only, so traces of different seeds name the same peers.
  const engine::Digest digest = engine::blake2b_256(as_bytes("mesh-sim zone key " + name));
  return engine::Identity(engine::SecretSeed(digest.bytes));
}

const engine::ResourceKind any_application_kind{.group = "dcp.hiro.io",
                                                .version = "v1",
                                                .kind = "AnyApplication",
                                                .strategy = engine::StrategyKind::anyapplication};

}  // namespace

Impl::Impl(const Scenario& scenario, const RunOptions& options)
    : scenario_(scenario),
      options_(options),
      prng_(mix(options.seed, 1, 0)),
      network_(mix(options.seed, 2, 0)) {
  MESH_ASSERT(!scenario_.zones.empty());
  network_.set_default_latency(scenario_.latency);
  for (std::size_t index = 0; index < scenario_.zones.size(); index++) {
    const ZoneSpec& spec = scenario_.zones[index];
    const Instant origin =
        Instant::from_ns(10'000'000'000 + static_cast<std::int64_t>(index) * 1'000'000'000'000);
    const WallTime wall = WallTime::from_unix_ms(wall_epoch_ms) + spec.clock_offset;
    auto zone = std::make_unique<Zone>(
        Zone{.index = index,
             .name = spec.name,
             .address = spec.name + ":9102",
             .identity = zone_identity(spec.name),
             .clock = io_sim::Clock(start_, origin, wall, spec.clock_drift_ppm)});
    zone->host = network_.add_host(zone->address);
    MESH_ASSERT(zone->host == index);
    network_.set_host_down(now_, zone->host, true);  // until it starts
    kube_sim::Options api_options;
    api_options.seed = mix(options.seed, 3, index);
    api_options.watch_history_max = scenario_.kube.watch_history;
    zone->api = std::make_unique<kube_sim::ApiServer>(api_options);
    if (scenario_.controller) {
      zone->controller =
          std::make_unique<AppController>(AppControllerOptions{.zone = spec.name}, *zone->api);
    }
    zones_.push_back(std::move(zone));
  }
  for (const Action& action : scenario_.timeline) {
    if (action.kind != ActionKind::restart || !action.from_checkpoint) continue;
    for (auto& zone : zones_) {
      if (zone->name == action.zone) zone->saves_checkpoints = true;
    }
  }
  for (const LinkSpec& link : scenario_.links) {
    const Zone* a = zone_named(link.a);
    const Zone* b = zone_named(link.b);
    MESH_ASSERT(a != nullptr && b != nullptr);  // the parser checked the names
    if (link.latency) network_.set_latency(a->host, b->host, *link.latency);
    if (link.bandwidth_bytes_per_second > 0) {
      network_.set_bandwidth(a->host, b->host, link.bandwidth_bytes_per_second);
    }
  }
  result_.scenario = scenario_.name;
  result_.seed = options_.seed;
  end_ = start_ + scenario_.duration;
}

Zone* Impl::zone_named(const std::string& name) {
  for (auto& zone : zones_) {
    if (zone->name == name) return zone.get();
  }
  return nullptr;
}

void Impl::schedule(Instant at, Event event) {
  MESH_ASSERT(at >= now_);
  queue_.emplace(std::make_pair(at.ns(), sequence_++), std::move(event));
}

void Impl::trace(const Zone* zone, const std::string& text) {
  const std::int64_t us = (now_ - start_).ns() / 1000;
  char prefix[48];
  std::snprintf(prefix, sizeof prefix, "%lld.%06lld ", static_cast<long long>(us / 1'000'000),
                static_cast<long long>(us % 1'000'000));
  std::string line = prefix;
  line += zone != nullptr ? zone->name : "world";
  line += " ";
  line += text;
  for (const char c : line) {
    trace_hash_ ^= static_cast<unsigned char>(c);
    trace_hash_ *= 1099511628211ULL;  // FNV-1a 64
  }
  if (options_.trace != nullptr) *options_.trace << line << "\n";
}

void Impl::timeline(const Zone* zone, const std::string& kind, const std::string& text) {
  if (!options_.record_timeline) return;
  result_.timeline.push_back({elapsed(), zone != nullptr ? zone->name : "", kind, text});
}

engine::Config Impl::node_config(const Zone& zone) const {
  const EngineSpec& spec = scenario_.engine;
  engine::Config config;
  config.zone = zone.name;
  config.network_id = "mesh-sim";
  config.trace_messages = options_.trace_messages && options_.trace != nullptr;
  config.incarnation = static_cast<std::uint64_t>(now_of(zone).wall.unix_ms());
  config.rng_seed = mix(options_.seed, 4 + zone.index, zone.restarts);
  const std::uint64_t key_seed = mix(options_.seed, 5 + zone.index, zone.restarts);
  for (std::size_t i = 0; i < config.key_stream_seed.size(); i++) {
    config.key_stream_seed[i] = static_cast<std::uint8_t>(key_seed >> (8 * (i % 8)));
  }
  config.advertised_endpoints = {zone.address};
  config.liveness_refs = scenario_.zones[zone.index].liveness_refs;
  const std::size_t count = zones_.size();
  const auto bootstrap = [&](std::size_t index) {
    const Zone& target = *zones_[index];
    config.bootstrap.push_back({target.identity.public_key(), {target.address}});
  };
  switch (scenario_.topology) {
    case Topology::full:
      for (std::size_t i = 0; i < count; i++) {
        if (i != zone.index) bootstrap(i);
      }
      break;
    case Topology::bootstrap_first:
    case Topology::star:
      if (zone.index != 0) bootstrap(0);
      break;
    case Topology::ring:
      if (count > 1) bootstrap((zone.index + 1) % count);
      break;
    case Topology::line:
      if (zone.index > 0) bootstrap(zone.index - 1);
      break;
  }
  apply_engine_spec(spec, config);
  config.resources = {any_application_kind};
  config.meshpeer_namespace = "mesh-system";
  config.reporting_instance = "mesh-controller-" + zone.name;
  config.test_break_merge_rule = options_.break_merge_rule || scenario_.test_break_merge_rule;
  config.signature_cache = &signature_cache_;
  config.payload_cache = &payload_cache_;
  config.write_meshpeers = scenario_.engine.meshpeers;
  return config;
}

void Impl::start_zone(Zone& zone, bool from_checkpoint) {
  MESH_ASSERT(zone.state == Zone::State::waiting || zone.state == Zone::State::crashed);
  zone.node = std::make_unique<engine::Node>(node_config(zone), zone.identity);
  if (from_checkpoint) {
    if (!zone.checkpoint) {
      trace(&zone, "no checkpoint yet: starting without state");
    } else if (const auto restored = zone.node->restore(now_of(zone), *zone.checkpoint);
               !restored.ok()) {
      trace(&zone, "checkpoint refused, starting without state: " + restored.error());
    }
  }
  zone.checkpoint_at = now_;
  zone.node_generation++;
  zone.state = Zone::State::running;
  zone.by_token.clear();
  zone.tokens.clear();
  zone.watches.clear();
  network_.set_host_down(now_, zone.host, false);
  trace(&zone, "start incarnation " + std::to_string(zone.node->config().incarnation));
  timeline(&zone, "fault", zone.restarts == 0 ? "start" : "restart");
  zone.node->handle_start(now_of(zone));
  result_.stats.node_inputs++;
  drain_node(zone);
  for (std::size_t kind = 0; kind < zone.node->config().resources.size(); kind++) {
    schedule(now_ + scenario_.kube.request_latency,
             Event{EventKind::kube_list, zone.index, zone.node_generation, kind});
  }
}

void Impl::crash_zone(Zone& zone) {
  if (zone.state != Zone::State::running && zone.state != Zone::State::paused) return;
  // The process dies: its kernel resets its connections, its watches end; the API server of
  // the cluster lives on.
  network_.set_host_down(now_, zone.host, true);
  for (const auto& [kind, watch] : zone.watches) zone.api->stop_watch(watch);
  zone.watches.clear();
  zone.node.reset();
  zone.state = Zone::State::crashed;
  zone.held_network.clear();
  zone.held_events.clear();
  zone.wake_at.reset();
  zone.restarts++;
  trace(&zone, "crash");
  timeline(&zone, "fault", "crash");
}

void Impl::maybe_checkpoint(Zone& zone) {
  if (!zone.saves_checkpoints || zone.node == nullptr) return;
  if (now_ - zone.checkpoint_at < scenario_.engine.checkpoint_interval) return;
  zone.checkpoint = zone.node->checkpoint();
  zone.checkpoint_at = now_;
}

void Impl::drain_node(Zone& zone) {
  maybe_checkpoint(zone);
  engine::Node& node = *zone.node;
  while (auto command = node.poll_network()) {
    if (auto* dial = std::get_if<engine::Dial>(&*command)) {
      // Tokens outlive a node instance in the network's queues (a `connected` still on its
      // way when the process crashed): the generation keeps a new instance's ids apart.
      const io_sim::ConnectionToken token = zone.node_generation << 40 | dial->connection;
      zone.tokens[dial->connection] = token;
      zone.by_token[token] = dial->connection;
      network_.connect(now_, zone.host, token, dial->address);
    } else if (auto* send = std::get_if<engine::Send>(&*command)) {
      const auto token = zone.tokens.find(send->connection);
      if (token != zone.tokens.end()) {
        network_.send(now_, zone.host, token->second, std::move(send->bytes));
      }
    } else {
      const auto& close = std::get<engine::Close>(*command);
      const auto token = zone.tokens.find(close.connection);
      if (token != zone.tokens.end()) {
        network_.close(now_, zone.host, token->second);
        zone.by_token.erase(token->second);
        zone.tokens.erase(token);
      }
    }
  }
  while (auto request = node.poll_kube()) {
    result_.stats.kube_requests++;
    schedule(now_ + scenario_.kube.request_latency,
             Event{EventKind::kube_execute, zone.index, zone.node_generation, *request});
  }
  while (auto event = node.poll_event()) {
    if (const auto* log = std::get_if<engine::LogEvent>(&*event)) {
      if (log->level != engine::EventLevel::debug) {
        trace(&zone, log->message);
      } else if (options_.trace != nullptr) {
        // Debug events go to the trace file only; the trace hash covers the rest.
        *options_.trace << "    " << zone.name << " debug: " << log->message << "\n";
      }
    } else {
      const auto& change = std::get<engine::PeerStateEvent>(*event).change;
      const std::string text = change.zone + " " + engine::to_string(change.to);
      timeline(&zone, "peer", text);
    }
  }
  reschedule_wake(zone);
}

void Impl::reschedule_wake(Zone& zone) {
  const auto deadline = zone.node->next_deadline();
  if (!deadline || zone.livelocked) {
    zone.wake_at.reset();
    return;
  }
  const Instant at = std::max(zone.clock.global_at(*deadline), now_);
  if (zone.wake_at && *zone.wake_at == at) return;
  zone.wake_at = at;
  schedule(at, Event{EventKind::node_wake, zone.index, ++zone.wake_generation, {}});
}

void Impl::on_node_wake(Zone& zone, const Event& event) {
  if (event.generation != zone.wake_generation || zone.state != Zone::State::running) return;
  zone.wake_at.reset();
  constexpr std::uint32_t wakes_at_instant_max = 100'000;
  zone.wakes_at_instant = now_ == zone.last_wake ? zone.wakes_at_instant + 1 : 0;
  zone.last_wake = now_;
  if (zone.wakes_at_instant == wakes_at_instant_max) {
    violation(Violation::Kind::liveness,
              zone.name + " livelock: woken " + std::to_string(wakes_at_instant_max) +
                  " times without time passing (its next deadline stays in the past)");
    zone.livelocked = true;
    return;
  }
  zone.node->handle_timeout(now_of(zone));
  result_.stats.node_inputs++;
  drain_node(zone);
}

void Impl::wake_controller(Zone& zone) {
  if (!zone.controller) return;
  const Instant at = now_ + controller_reaction;
  if (zone.app_wake_at && *zone.app_wake_at <= at) return;
  zone.app_wake_at = at;
  schedule(at, Event{EventKind::app_wake, zone.index, ++zone.app_wake_generation, {}});
}

void Impl::reschedule_app(Zone& zone) {
  if (!zone.controller) return;
  const auto deadline = zone.controller->next_deadline();
  zone.app_wake_at.reset();
  if (!deadline) return;
  const Instant at = std::max(zone.clock.global_at(*deadline), now_);
  zone.app_wake_at = at;
  schedule(at, Event{EventKind::app_wake, zone.index, ++zone.app_wake_generation, {}});
}

}  // namespace mesh::simulator::internal

namespace mesh::simulator::internal {

kube_sim::GroupVersionResource Impl::resource_of(const engine::KubeKind& kind) const {
  if (kind.is(engine::KindSlot::meshpeer)) return {"dcp.hiro.io", "v1", "meshpeers"};
  if (kind.is(engine::KindSlot::event)) return {"", "v1", "events"};
  MESH_ASSERT(kind.index == 0);  // the simulator replicates AnyApplication only
  return {"dcp.hiro.io", "v1", "anyapplications"};
}

void Impl::dispatch_network(io_sim::NetEvent& event) {
  Zone& zone = *zones_.at(event.host);
  if (zone.state == Zone::State::paused) {
    zone.held_network.push_back(std::move(event));
    return;
  }
  if (zone.state != Zone::State::running) return;
  engine::Node& node = *zone.node;
  const Now now = now_of(zone);
  using Kind = io_sim::NetEvent::Kind;
  const auto id = zone.by_token.find(event.token);
  switch (event.kind) {
    case Kind::accepted: {
      const engine::ConnectionId accepted = node.handle_accept(now, event.remote);
      zone.by_token[event.token] = accepted;
      zone.tokens[accepted] = event.token;
      break;
    }
    case Kind::connected:
      if (id != zone.by_token.end()) node.handle_connected(now, id->second);
      break;
    case Kind::data:
      result_.stats.segments++;
      if (id != zone.by_token.end()) node.handle_bytes(now, id->second, event.bytes);
      break;
    case Kind::refused:
    case Kind::closed:
      if (id != zone.by_token.end()) {
        const engine::ConnectionId connection = id->second;
        zone.tokens.erase(connection);
        zone.by_token.erase(id);
        node.handle_closed(now, connection, event.reason);
      }
      break;
  }
  result_.stats.node_inputs++;
  drain_node(zone);
}

void Impl::on_kube_list(Zone& zone, std::size_t kind) {
  zone.api->set_time(now_of(zone).wall);
  const kube_sim::GroupVersionResource resource = resource_of(engine::KubeKind::resource(kind));
  auto list = zone.api->list({.resource = resource});
  if (!list.ok()) {
    schedule(now_ + relist_backoff,
             Event{EventKind::kube_list, zone.index, zone.node_generation, kind});
    return;
  }
  auto watch = zone.api->watch({.resource = resource, .resource_version = list->resource_version});
  if (!watch.ok()) {
    schedule(now_ + relist_backoff,
             Event{EventKind::kube_list, zone.index, zone.node_generation, kind});
    return;
  }
  zone.watches[kind] = watch.value();
  engine::KubeRelist relist{engine::KubeKind::resource(kind), std::move(list->items)};
  zone.deliver_floor = std::max(zone.deliver_floor, now_ + scenario_.kube.watch_latency);
  schedule(zone.deliver_floor,
           Event{EventKind::kube_deliver, zone.index, zone.node_generation, std::move(relist)});
}

void Impl::pump_watches(Zone& zone) {
  std::vector<std::size_t> ended;
  for (const auto& [kind, watch] : zone.watches) {
    while (auto event = zone.api->poll_watch_shared(watch)) {
      using Type = kube_sim::WatchEventType;
      if (event->type == Type::closed || event->type == Type::error) {
        ended.push_back(kind);
        break;
      }
      if (event->type == Type::bookmark) continue;
      const engine::WatchEventType type = event->type == Type::added ? engine::WatchEventType::added
                                          : event->type == Type::modified
                                              ? engine::WatchEventType::modified
                                              : engine::WatchEventType::deleted;
      zone.deliver_floor = std::max(zone.deliver_floor, now_ + scenario_.kube.watch_latency);
      schedule(zone.deliver_floor, Event{EventKind::kube_deliver, zone.index, zone.node_generation,
                                         engine::KubeWatchEvent{engine::KubeKind::resource(kind),
                                                                type, std::move(event->object)}});
    }
  }
  for (const std::size_t kind : ended) {
    // The informer relists after a dropped watch or 410 Gone, as client-go's does.
    zone.api->stop_watch(zone.watches.at(kind));
    zone.watches.erase(kind);
    trace(&zone, "watch ended, relisting");
    schedule(now_ + relist_backoff,
             Event{EventKind::kube_list, zone.index, zone.node_generation, kind});
  }
}

engine::KubeResult Impl::execute(Zone& zone, const engine::KubeRequest& request) {
  zone.api->set_time(now_of(zone).wall);
  const kube_sim::ObjectKey key{resource_of(request.kind), request.namespace_name, request.name};
  const kube_sim::WriteOptions write{.field_manager = request.field_manager,
                                     .force = request.force};
  using kube_sim::Subresource;
  using kube_sim::Verb;
  kube_sim::ApiResult<kube_sim::SharedObject> outcome = kube_sim::SharedObject();
  switch (request.verb) {
    case engine::KubeVerb::apply:
      outcome = zone.api->write({.verb = Verb::patch, .key = key, .options = write}, request.body);
      break;
    case engine::KubeVerb::apply_status:
      outcome = zone.api->write(
          {.verb = Verb::patch, .subresource = Subresource::status, .key = key, .options = write},
          request.body);
      break;
    case engine::KubeVerb::update_status:
      outcome = zone.api->write(
          {.verb = Verb::update, .subresource = Subresource::status, .key = key, .options = write},
          request.body);
      break;
    case engine::KubeVerb::create:
      outcome = zone.api->write({.verb = Verb::create,
                                 .key = {key.resource, request.namespace_name, ""},
                                 .options = write},
                                request.body);
      break;
    case engine::KubeVerb::remove: {
      auto removed = zone.api->remove(key, {.uid = request.uid.value_or("")});
      if (removed.ok()) {
        outcome = std::make_shared<const Json>(std::move(removed->object));
      } else {
        outcome = fail(std::move(removed).error());
      }
      break;
    }
  }
  engine::KubeResult result{.id = request.id};
  if (outcome.ok()) {
    result.object = std::move(outcome).value();
    return result;
  }
  using Reason = kube_sim::StatusReason;
  const Reason reason = outcome.error().reason;
  result.outcome = reason == Reason::conflict || reason == Reason::already_exists
                       ? engine::KubeOutcome::conflict
                   : reason == Reason::not_found ? engine::KubeOutcome::not_found
                   : reason == Reason::gone      ? engine::KubeOutcome::gone
                                                 : engine::KubeOutcome::error;
  result.message = outcome.error().message;
  return result;
}

void Impl::on_kube_execute(Zone& zone, const engine::KubeRequest& request) {
  engine::KubeResult result = execute(zone, request);
  // Every write the mesh makes, in the trace (not the timeline): what debugging a replication
  // decision needs first.
  if (request.kind_name != "Event") {
    static constexpr const char* verbs[] = {"apply", "apply_status", "update_status", "delete",
                                            "create"};
    static constexpr const char* outcomes[] = {"ok", "conflict", "not found", "gone", "error"};
    static_assert(static_cast<int>(engine::KubeVerb::create) == 4);
    static_assert(static_cast<int>(engine::KubeOutcome::error) == 4);
    trace(&zone, std::string("kube ") + verbs[static_cast<int>(request.verb)] + " " +
                     request.kind_name + " " + request.namespace_name + "/" + request.name + ": " +
                     outcomes[static_cast<int>(result.outcome)]);
  }
  pump_watches(zone);
  wake_controller(zone);
  schedule(now_ + scenario_.kube.request_latency,
           Event{EventKind::kube_result, zone.index, zone.node_generation, std::move(result)});
}

// One flip of a flapping link, then the next one a period later, until the flap ends.
void Impl::on_flap(Event& event) {
  const Action& action = scenario_.timeline.at(std::get<std::size_t>(event.payload));
  const std::string pair = action.zones.at(0) + "|" + action.zones.at(1);
  if (flapping_.count(pair) == 0 || elapsed() > action.at + action.duration) return;
  Zone& a = *zone_named(action.zones[0]);
  Zone& b = *zone_named(action.zones[1]);
  const bool down = !network_.blocked(a.host, b.host);
  if (down) {
    network_.block(a.host, b.host);
    network_.block(b.host, a.host);
  } else {
    network_.unblock(now_, a.host, b.host);
    network_.unblock(now_, b.host, a.host);
  }
  trace(nullptr, "flap " + pair + (down ? " down" : " up"));
  schedule(now_ + action.period, std::move(event));
}

void Impl::dispatch(Event& event) {
  result_.stats.events++;
  Zone& zone = *zones_.at(event.zone);
  const bool zone_event = event.kind != EventKind::action && event.kind != EventKind::workload &&
                          event.kind != EventKind::end && event.kind != EventKind::flap;
  if (zone_event && zone.state == Zone::State::paused && event.kind != EventKind::app_wake) {
    zone.held_events.push_back(std::move(event));
    return;
  }
  const bool current = event.generation == zone.node_generation;
  switch (event.kind) {
    case EventKind::node_wake: on_node_wake(zone, event); break;
    case EventKind::kube_list:
      if (current && zone.state == Zone::State::running) {
        on_kube_list(zone, std::get<std::size_t>(event.payload));
      }
      break;
    case EventKind::kube_deliver:
      if (!current || zone.state != Zone::State::running) break;
      if (auto* watch = std::get_if<engine::KubeWatchEvent>(&event.payload)) {
        zone.node->handle_kube_watch(now_of(zone), std::move(*watch));
      } else {
        zone.node->handle_kube_relist(now_of(zone), std::get<engine::KubeRelist>(event.payload));
      }
      result_.stats.node_inputs++;
      drain_node(zone);
      break;
    case EventKind::kube_execute:
      if (current) on_kube_execute(zone, std::get<engine::KubeRequest>(event.payload));
      break;
    case EventKind::kube_result:
      if (!current || zone.state != Zone::State::running) break;
      zone.node->handle_kube_result(now_of(zone),
                                    std::move(std::get<engine::KubeResult>(event.payload)));
      result_.stats.node_inputs++;
      drain_node(zone);
      break;
    case EventKind::app_wake:
      if (event.generation != zone.app_wake_generation || !zone.controller) break;
      zone.api->set_time(now_of(zone).wall);
      zone.controller->handle_timeout(now_of(zone));
      pump_watches(zone);
      reschedule_app(zone);
      break;
    case EventKind::action:
      apply_action(scenario_.timeline.at(std::get<std::size_t>(event.payload)));
      break;
    case EventKind::workload:
      random_operation();
      schedule_next_workload();
      break;
    case EventKind::flap: on_flap(event); break;
    case EventKind::zone_start:
      if (zone.state == Zone::State::waiting) start_zone(zone);
      break;
    case EventKind::end: break;
  }
}

RunResult Impl::run() {
  trace(nullptr, "scenario " + scenario_.name + " seed " + std::to_string(options_.seed));
  for (auto& zone : zones_) {
    const Duration start_at = scenario_.zones[zone->index].start_at.value_or(Duration::zero());
    schedule(start_ + start_at, Event{EventKind::zone_start, zone->index, 0, {}});
    if (zone->controller) {
      zone->api->set_time(now_of(*zone).wall);
      zone->controller->start(now_of(*zone));
      reschedule_app(*zone);
    }
  }
  for (std::size_t index = 0; index < scenario_.timeline.size(); index++) {
    schedule(start_ + scenario_.timeline[index].at, Event{EventKind::action, 0, 0, index});
  }
  schedule_next_workload();
  // Safety phase: the scenario's own timeline, faults and all.
  run_until(end_);
  // Liveness phase: every fault heals; the mesh must converge within the bound.
  liveness_phase_ = true;
  heal_all();
  const Instant healed = now_;
  const Instant deadline = now_ + scenario_.checks.converge_within;
  // Objects and peer statuses each get the whole bound: objects can agree (relayed through
  // other zones, or unchanged) before two zones whose link was cut have redialled each other
  // (found by swarm: the statuses were checked the moment the objects agreed).
  while (now_ < deadline) {
    run_until(std::min(deadline, now_ + Duration::from_seconds(1)));
    if (!result_.stats.converged_after && !convergence_problem()) {
      result_.stats.converged_after = now_ - healed;
      timeline(nullptr, "converged",
               "converged " + format_duration(now_ - healed) + " after the final heal");
    }
    const bool peers_settled = !scenario_.checks.peer_status || peer_status_problems(true).empty();
    if (result_.stats.converged_after && peers_settled) break;
  }
  final_checks();
  result_.stats.simulated = now_ - start_;
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(trace_hash_));
  result_.trace_hash = hash;
  return std::move(result_);
}

void Impl::run_until(Instant limit) {
  while (true) {
    const auto network_at = network_.next_event_time();
    const bool has_queue = !queue_.empty();
    const Instant queue_at =
        has_queue ? Instant::from_ns(queue_.begin()->first.first) : Instant::max();
    const Instant next = std::min(network_at.value_or(Instant::max()), queue_at);
    if (next > limit || next == Instant::max()) break;
    now_ = std::max(now_, next);
    if (network_at && *network_at <= queue_at) {
      auto event = network_.pop_due(now_);
      if (event) dispatch_network(*event);
      continue;
    }
    auto node = queue_.extract(queue_.begin());
    dispatch(node.mapped());
  }
  now_ = std::max(now_, limit);
}

}  // namespace mesh::simulator::internal
