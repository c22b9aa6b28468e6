// ZoneWorld: Replication instances of several zones, each with a minimal Kubernetes double,
// exchanging operations through a pool the test controls (order, subsets, duplicates).
//
// The Kubernetes double keeps what replication needs and nothing more: objects with uid and
// resourceVersion, apply of the main resource and of status (whole parts, resourceVersion
// precondition when given), delete with a uid precondition, and a watch event per change.
// The full API-server semantics live in kube_sim; this double keeps the engine tests linked
// to the engine alone.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/json_util.h"
#include "engine/log_store.h"
#include "engine/replication.h"
#include "tests/support/keys.h"

namespace mesh::test {

using engine::Json;

class FakeKube {
 public:
  // Applies a request; returns the result and appends watch events for what changed.
  engine::KubeResult apply(const engine::KubeRequest& request,
                           std::vector<engine::KubeWatchEvent>& events) {
    engine::KubeResult result{.id = request.id};
    const std::string key = request.namespace_name + "/" + request.name;
    const auto existing = objects_.find(key);
    if (fail_next_with_conflict > 0) {
      fail_next_with_conflict--;
      result.outcome = engine::KubeOutcome::conflict;
      return result;
    }
    if (request.verb == engine::KubeVerb::remove) {
      if (existing == objects_.end())
        return {.id = request.id, .outcome = engine::KubeOutcome::not_found};
      if (request.uid && *request.uid != engine::string_at(existing->second, {"metadata", "uid"})) {
        return {.id = request.id, .outcome = engine::KubeOutcome::conflict};
      }
      events.push_back({request.kind, engine::WatchEventType::deleted,
                        std::make_shared<const Json>(existing->second)});
      // A DELETE answers with the object's last state.
      result.object = std::make_shared<const Json>(existing->second);
      objects_.erase(existing);
      return result;
    }
    const std::string expected_rv =
        engine::string_at(request.body, {"metadata", "resourceVersion"});
    if (existing != objects_.end() && !expected_rv.empty() &&
        expected_rv != engine::string_at(existing->second, {"metadata", "resourceVersion"})) {
      return {.id = request.id, .outcome = engine::KubeOutcome::conflict};
    }
    if (request.verb != engine::KubeVerb::apply && existing == objects_.end()) {
      return {.id = request.id, .outcome = engine::KubeOutcome::not_found};
    }
    Json object = existing != objects_.end() ? existing->second : Json::object();
    if (request.verb == engine::KubeVerb::apply) {
      for (const auto& [field, value] : request.body.items()) {
        if (field == "metadata") {
          for (const char* meta : {"name", "namespace", "labels", "annotations"}) {
            if (value.contains(meta)) object["metadata"][meta] = value[meta];
          }
        } else if (field != "status") {
          object[field] = value;
        }
      }
    } else {
      object["status"] = request.body["status"];
    }
    write(key, std::move(object), existing == objects_.end(), request.kind, events);
    result.object = std::make_shared<const Json>(objects_.at(key));
    return result;
  }

  // A user or controller writing the object directly.
  void put(engine::KubeKind kind, Json object, std::vector<engine::KubeWatchEvent>& events) {
    const std::string key = engine::string_at(object, {"metadata", "namespace"}) + "/" +
                            engine::string_at(object, {"metadata", "name"});
    const bool created = objects_.count(key) == 0;
    if (!created) {
      object["metadata"]["uid"] = objects_.at(key)["metadata"]["uid"];
    }
    write(key, std::move(object), created, kind, events);
  }
  void remove(engine::KubeKind kind, const std::string& key,
              std::vector<engine::KubeWatchEvent>& events) {
    const auto found = objects_.find(key);
    if (found == objects_.end()) return;
    events.push_back(
        {kind, engine::WatchEventType::deleted, std::make_shared<const Json>(found->second)});
    objects_.erase(found);
  }
  const Json* get(const std::string& key) const {
    const auto found = objects_.find(key);
    return found == objects_.end() ? nullptr : &found->second;
  }
  const std::map<std::string, Json>& objects() const { return objects_; }

  int fail_next_with_conflict = 0;

 private:
  void write(const std::string& key, Json object, bool created, engine::KubeKind kind,
             std::vector<engine::KubeWatchEvent>& events) {
    object["metadata"]["resourceVersion"] = std::to_string(++resource_version_);
    if (created) object["metadata"]["uid"] = "uid-" + std::to_string(++uid_);
    objects_[key] = object;
    events.push_back({kind,
                      created ? engine::WatchEventType::added : engine::WatchEventType::modified,
                      std::make_shared<const Json>(std::move(object))});
  }
  std::map<std::string, Json> objects_;
  std::uint64_t resource_version_ = 0;
  std::uint64_t uid_ = 0;
};

class ZoneWorld {
 public:
  struct Zone {
    std::string name;
    engine::Identity identity;
    std::uint64_t incarnation;
    engine::LogStore store;
    std::unique_ptr<engine::Replication> replication;
    FakeKube kube;
  };

  explicit ZoneWorld(std::vector<engine::ResourceKind> resources)
      : resources_(std::move(resources)) {}

  std::size_t add_zone(const std::string& name) {
    const std::size_t index = zones_.size();
    zones_.push_back(std::make_unique<Zone>(
        Zone{.name = name,
             .identity = test_identity(static_cast<std::uint8_t>(index + 1)),
             .incarnation = 100,
             .store = engine::LogStore(),
             .replication = std::make_unique<engine::Replication>(
                 engine::ReplicationOptions{.zone = name,
                                            .resources = resources_,
                                            .status_write_delay = status_write_delay_,
                                            .publish_delay = publish_delay_}),
             .kube = FakeKube()}));
    // Every kind starts listed and empty.
    for (std::size_t kind = 0; kind < resources_.size(); kind++) {
      zone(index).replication->handle_relist(now(), {engine::KubeKind::resource(kind), {}});
    }
    return index;
  }

  // Restarts a zone without state: a new incarnation, an empty store, a fresh replication
  // that relists what its API server still holds.
  void restart(std::size_t index) { restart_restored(index, {}); }

  // Restarts a zone from a checkpoint that held `restored` (operations of any author, in an
  // order a store accepts): like Node::restore, they are merged before the relist, under a new
  // incarnation.
  void restart_restored(std::size_t index, const std::vector<engine::Operation>& restored) {
    Zone& z = zone(index);
    z.incarnation += 100;
    z.store = engine::LogStore();
    z.replication = std::make_unique<engine::Replication>(
        engine::ReplicationOptions{.zone = z.name,
                                   .resources = resources_,
                                   .status_write_delay = status_write_delay_,
                                   .publish_delay = publish_delay_,
                                   .own_key = z.identity.public_key(),
                                   .incarnation = z.incarnation});
    for (const engine::Operation& op : restored) {
      const std::string author_zone = zone_of(op.log().author);
      if (op.kind() == engine::OperationKind::snapshot) {
        z.replication->handle_snapshot(now(), op, author_zone);
      } else {
        (void)z.replication->handle_operation(now(), op, author_zone);
      }
    }
    for (std::size_t kind = 0; kind < resources_.size(); kind++) {
      std::vector<Json> objects;
      for (const auto& [key, object] : z.kube.objects()) objects.push_back(object);
      z.replication->handle_relist(now(), {engine::KubeKind::resource(kind), objects});
    }
    settle(index);
  }

  // Zones added (or restarted) after this wait `delay` before a status write (zero: at once).
  void set_status_write_delay(Duration delay) { status_write_delay_ = delay; }
  // Zones added (or restarted) after this wait `delay` before publishing what a watch showed.
  void set_publish_delay(Duration delay) { publish_delay_ = delay; }

  Zone& zone(std::size_t index) { return *zones_.at(index); }
  std::size_t size() const { return zones_.size(); }
  Now now() const { return Now{Instant::from_ns(time_ns_), WallTime::from_unix_ms(1)}; }
  void advance(Duration duration) { time_ns_ += duration.ns(); }

  // A user or controller in `index` writes an object (kind 0 unless said otherwise).
  void put(std::size_t index, Json object, std::size_t kind = 0) {
    std::vector<engine::KubeWatchEvent> events;
    zone(index).kube.put(engine::KubeKind::resource(kind), std::move(object), events);
    feed(index, events);
    settle(index);
  }
  // Deletes an object behind the zone's back (while its controller is down): no watch event.
  void remove_silently(std::size_t index, const std::string& key) {
    std::vector<engine::KubeWatchEvent> ignored;
    zone(index).kube.remove(engine::KubeKind::resource(0), key, ignored);
  }
  void remove(std::size_t index, const std::string& key, std::size_t kind = 0) {
    std::vector<engine::KubeWatchEvent> events;
    zone(index).kube.remove(engine::KubeKind::resource(kind), key, events);
    feed(index, events);
    settle(index);
  }

  // Runs zone `index` until it has nothing more to do: publications become signed operations
  // (added to the pool and merged locally), requests hit its Kubernetes double.
  void settle(std::size_t index) {
    Zone& z = zone(index);
    for (int round = 0; round < 100; round++) {
      z.replication->reconcile(now());
      bool progress = false;
      while (auto publication = z.replication->poll_publication()) {
        if (std::getenv("ZW_DEBUG")) {
          std::fprintf(
              stderr, "%s pub %s\n", z.name.c_str(),
              std::string(publication->payload.begin(), publication->payload.end()).c_str());
        }
        auto op = z.store.append(z.identity, z.incarnation, publication->key,
                                 std::move(publication->payload), 0);
        EXPECT_TRUE(op.ok());
        pool_.push_back(op.value());
        EXPECT_TRUE(z.replication->handle_operation(now(), op.value(), z.name).ok());
        progress = true;
      }
      while (auto request = z.replication->poll_request()) {
        if (std::getenv("ZW_DEBUG")) {
          std::fprintf(stderr, "%s req verb=%d body=%s\n", z.name.c_str(),
                       static_cast<int>(request->verb), engine::canonical(request->body).c_str());
        }
        std::vector<engine::KubeWatchEvent> events;
        const engine::KubeResult result = z.kube.apply(*request, events);
        z.replication->handle_result(now(), result);
        feed(index, events);
        progress = true;
      }
      if (!progress) return;
    }
    ADD_FAILURE() << "zone " << z.name << " did not settle";
  }

  // Delivers one operation to a zone (as if synced) and lets it settle.
  void deliver(const engine::Operation& op, std::size_t to) {
    Zone& z = zone(to);
    // Our own current log is merged as we author it; older incarnations of ours come back
    // from the mesh like anyone's operations.
    if (op.log().author == z.identity.public_key() && op.log().incarnation == z.incarnation) {
      return;
    }
    const std::string author_zone = zone_of(op.log().author);
    if (op.kind() == engine::OperationKind::snapshot) {
      z.replication->handle_snapshot(now(), op, author_zone);
    } else {
      (void)z.replication->handle_operation(now(), op, author_zone);
    }
    settle(to);
  }
  // Delivers every pooled operation to every zone, repeatedly, until no new operations.
  void sync_all() {
    std::size_t delivered = 0;
    for (int round = 0; round < 50 && delivered < pool_.size(); round++) {
      const std::size_t end = pool_.size();
      for (std::size_t i = delivered; i < end; i++) {
        const engine::Operation op = pool_[i];
        for (std::size_t to = 0; to < size(); to++) deliver(op, to);
      }
      delivered = end;
    }
  }
  // Delivers pooled operations [from, to) only among the listed zones.
  void sync_among(const std::vector<std::size_t>& zones, std::size_t from = 0) {
    std::size_t delivered = from;
    for (int round = 0; round < 50 && delivered < pool_.size(); round++) {
      const std::size_t end = pool_.size();
      for (std::size_t i = delivered; i < end; i++) {
        const engine::Operation op = pool_[i];
        const bool from_member = std::any_of(zones.begin(), zones.end(), [&](std::size_t z) {
          return zone(z).identity.public_key() == op.log().author;
        });
        if (!from_member) continue;
        for (const std::size_t to : zones) deliver(op, to);
      }
      delivered = end;
    }
  }

  void set_liveness(std::size_t index, const std::map<std::string, bool>& zones,
                    bool unknown_alive = true) {
    zone(index).replication->handle_liveness(now(), {zones, unknown_alive});
    settle(index);
  }

  // The zone compacts its own log, as Node::maybe_snapshot does: the snapshot joins the pool
  // and the zone's own merge.
  void snapshot(std::size_t index) {
    Zone& z = zone(index);
    auto op =
        z.store.snapshot(z.identity, z.incarnation, z.replication->forgettable_keys(now()), 0);
    EXPECT_TRUE(op.ok());
    if (!op.ok()) return;
    pool_.push_back(op.value());
    z.replication->handle_snapshot(now(), op.value(), z.name);
    settle(index);
  }

  const std::vector<engine::Operation>& pool() const { return pool_; }
  std::string zone_of(const engine::PublicKey& key) const {
    for (const auto& z : zones_) {
      if (z->identity.public_key() == key) return z->name;
    }
    return "";
  }

 private:
  void feed(std::size_t index, const std::vector<engine::KubeWatchEvent>& events) {
    for (const auto& event : events) zone(index).replication->handle_watch(now(), event);
  }

  std::vector<engine::ResourceKind> resources_;
  std::vector<std::unique_ptr<Zone>> zones_;
  std::vector<engine::Operation> pool_;
  std::int64_t time_ns_ = 1'000'000'000;
  Duration status_write_delay_ = Duration::zero();
  Duration publish_delay_ = Duration::zero();
};

}  // namespace mesh::test
