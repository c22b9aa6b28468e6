// Replication semantics. Each test names the seed test it stands in for (seed-spec §7) when
// there is one; where our rule differs on purpose the comment says how.
#include "engine/replication.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tests/support/zone_world.h"

namespace mesh::engine {
namespace {

using test::ZoneWorld;

const ResourceKind any_application{.group = "dcp.hiro.io",
                                   .version = "v1",
                                   .kind = "AnyApplication",
                                   .strategy = StrategyKind::anyapplication};
const ResourceKind config_map{.group = "",
                              .version = "v1",
                              .kind = "ConfigMap",
                              .strategy = StrategyKind::default_owner_label};

Json app(const std::string& name, const std::string& owner, std::int64_t epoch,
         const std::vector<std::string>& placements, const std::string& chart_version = "1.0") {
  Json placement_list = Json::array();
  for (const auto& zone : placements) placement_list.push_back({{"zone", zone}});
  return {
      {"apiVersion", "dcp.hiro.io/v1"},
      {"kind", "AnyApplication"},
      {"metadata", {{"name", name}, {"namespace", "default"}}},
      {"spec",
       {{"zones", 1},
        {"source",
         {{"helm",
           {{"repository", "https://charts.example"},
            {"chart", "nginx"},
            {"version", chart_version},
            {"namespace", "default"}}}}}}},
      {"status",
       {{"ownership",
         {{"owner", owner}, {"epoch", epoch}, {"state", "New"}, {"placements", placement_list}}}}}};
}

// What the AnyApplication controller of `zone` does: write its own status.zones entry.
Json with_zone_entry(Json object, const std::string& zone, std::int64_t version,
                     const std::string& health = "Healthy") {
  Json& zones = object["status"]["zones"];
  if (!zones.is_array()) zones = Json::array();
  for (auto it = zones.begin(); it != zones.end(); ++it) {
    if ((*it)["zoneId"] == zone) {
      zones.erase(it);
      break;
    }
  }
  zones.push_back(
      {{"zoneId", zone},
       {"version", version},
       {"chartVersion", "1.0"},
       {"conditions", Json::array({{{"type", "Local"},
                                    {"status", health},
                                    {"zoneId", zone},
                                    {"lastTransitionTime", "2026-01-01T00:00:00Z"}}})}});
  return object;
}

const Json* local(ZoneWorld& world, std::size_t zone, const std::string& name = "app1") {
  return world.zone(zone).kube.get("default/" + name);
}

std::optional<ReplicatedObject> replicated(ZoneWorld& world, std::size_t zone,
                                           const std::string& name = "app1") {
  return world.zone(zone).replication->replicated(0, "default", name);
}

std::string owner_of(const Json& object) {
  return string_at(object, {"status", "ownership", "owner"});
}

// Copies: the strategy's entries are borrowed from `object`.
std::map<std::string, Json> entries(const Json& object) {
  std::map<std::string, Json> copies;
  const auto strategy = make_strategy(StrategyKind::anyapplication);
  for (const auto& [zone, entry] : strategy->zone_entries(object)) copies[zone] = *entry;
  return copies;
}

struct Three : ::testing::Test {
  ZoneWorld world{{any_application}};
  void SetUp() override {
    world.add_zone("zone1");
    world.add_zone("zone2");
    world.add_zone("zone3");
  }
};

// seed: test_state_replication, single_source_replication, mesh_update_create_non_existing
TEST_F(Three, OwnerCreateReachesEveryZoneWithSpecAndOwnership) {
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));
  world.sync_all();
  for (std::size_t zone = 1; zone < 3; zone++) {
    const Json* copy = local(world, zone);
    ASSERT_NE(copy, nullptr) << "zone" << zone + 1;
    EXPECT_EQ(owner_of(*copy), "zone1");
    EXPECT_EQ((*copy)["spec"], app("app1", "zone1", 1, {})["spec"]);
    EXPECT_EQ(string_at(*copy, {"metadata", "labels", owner_zone_label}), "zone1");
  }
}

// seed: mesh_create_condition_from_replica_zone, two_zones_interaction. Ours: a replica's
// entry reaches every zone in one hop, not via the owner's periodic snapshot.
TEST_F(Three, ReplicaStatusEntryReachesEveryZoneDirectly) {
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2", "zone3"}));
  world.sync_all();
  world.put(1, with_zone_entry(*local(world, 1), "zone2", 7));
  // Only zone2's own operations travel, straight to zone3 and zone1.
  const std::size_t before = world.pool().size();
  world.sync_all();
  EXPECT_EQ(world.pool().size(), before) << "no zone had to republish to forward it";
  for (std::size_t zone = 0; zone < 3; zone++) {
    const auto found = entries(*local(world, zone));
    ASSERT_EQ(found.count("zone2"), 1u) << "zone" << zone + 1;
    EXPECT_EQ(found.at("zone2")["version"], 7);
  }
}

// seed: mesh_update_condition_from_replica_zone, mesh_delete_condition_from_replica_zone
TEST_F(Three, EachZoneOwnsOnlyItsEntryAndKeepsItsOwn) {
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2", "zone3"}));
  world.sync_all();
  world.put(1, with_zone_entry(*local(world, 1), "zone2", 3, "Healthy"));
  world.put(2, with_zone_entry(*local(world, 2), "zone3", 4, "Degraded"));
  world.sync_all();
  world.put(1, with_zone_entry(*local(world, 1), "zone2", 5, "Progressing"));
  world.sync_all();
  for (std::size_t zone = 0; zone < 3; zone++) {
    const auto found = entries(*local(world, zone));
    EXPECT_EQ(found.at("zone2")["version"], 5);
    EXPECT_EQ(found.at("zone3")["conditions"][0]["status"], "Degraded");
  }
  // zone3 cannot overwrite zone2's entry: its edit of another zone's entry is reverted.
  Json forged = *local(world, 2);
  forged = with_zone_entry(forged, "zone2", 99, "Missing");
  world.put(2, forged);
  world.sync_all();
  EXPECT_EQ(entries(*local(world, 2)).at("zone2")["version"], 5);
  EXPECT_EQ(entries(*local(world, 0)).at("zone2")["version"], 5);
}

// seed: mesh_update_greater_version_spec, kube_update_incoming_has_diff
TEST_F(Three, OwnerSpecEditsSpreadAndReplicaSpecEditsAreReverted) {
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  world.sync_all();
  Json edited = *local(world, 0);
  edited["spec"]["source"]["helm"]["version"] = "2.0";
  world.put(0, edited);
  world.sync_all();
  EXPECT_EQ((*local(world, 2))["spec"]["source"]["helm"]["version"], "2.0");
  Json rogue = *local(world, 2);
  rogue["spec"]["source"]["helm"]["version"] = "9.9";
  world.put(2, rogue);
  world.sync_all();
  EXPECT_EQ((*local(world, 2))["spec"]["source"]["helm"]["version"], "2.0");
  EXPECT_EQ((*local(world, 0))["spec"]["source"]["helm"]["version"], "2.0");
}

// The claim race of anyapplication-controller.md §9: a replica's controller claims an object
// the mesh created without status yet; the owner's ownership is restored.
TEST_F(Three, LocalControllerClaimOnAReplicaIsReverted) {
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));
  world.sync_all();
  Json claimed = *local(world, 1);
  claimed["status"]["ownership"] = {{"owner", "zone2"}, {"epoch", 1}, {"state", "New"}};
  world.put(1, claimed);
  world.sync_all();
  EXPECT_EQ(owner_of(*local(world, 1)), "zone1");
  EXPECT_EQ(owner_of(*local(world, 0)), "zone1");
}

// seed: ownership_conflict_equal_epoch_*. Ours: the smaller zone name wins whatever the
// arrival order or membership view (the seed compared instance start times).
TEST_F(Three, EqualEpochClaimsResolveToTheSmallerZoneEverywhere) {
  world.put(2, app("app1", "zone3", 1, {"zone3"}));
  world.put(1, app("app1", "zone2", 1, {"zone2"}));
  world.sync_all();
  for (std::size_t zone = 0; zone < 3; zone++) {
    ASSERT_NE(local(world, zone), nullptr);
    EXPECT_EQ(owner_of(*local(world, zone)), "zone2") << "zone" << zone + 1;
    EXPECT_EQ(replicated(world, zone)->owner_zone, "zone2");
  }
}

// seed: different_owner_greater_epoch, ownership_conflict_greater_epoch
TEST_F(Three, GreaterEpochWinsRegardlessOfZone) {
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  world.sync_all();
  // An operator moves ownership to zone3 by raising the epoch there.
  Json moved = *local(world, 2);
  moved["status"]["ownership"]["owner"] = "zone3";
  moved["status"]["ownership"]["epoch"] = 2;
  world.put(2, moved);
  world.sync_all();
  for (std::size_t zone = 0; zone < 3; zone++) {
    EXPECT_EQ(owner_of(*local(world, zone)), "zone3");
  }
}

// seed: mesh_delete_greater_version_delete, kube_delete_* (owner deletes)
TEST_F(Three, OwnerDeleteRemovesEveryCopy) {
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));
  world.sync_all();
  world.remove(0, "default/app1");
  world.sync_all();
  for (std::size_t zone = 0; zone < 3; zone++) {
    EXPECT_EQ(local(world, zone), nullptr) << "zone" << zone + 1;
    EXPECT_TRUE(replicated(world, zone)->deleted);
  }
}

// seed: delete_tombstone_other_zone (ignored there). Ours: the owner decides an object's life,
// so a replica's delete is undone.
TEST_F(Three, ReplicaDeleteIsUndone) {
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));
  world.sync_all();
  world.remove(1, "default/app1");
  world.sync_all();
  ASSERT_NE(local(world, 1), nullptr);
  EXPECT_EQ(owner_of(*local(world, 1)), "zone1");
}

// seed: mesh_update_create_skip_if_tombstone_is_newer, tombstone_skip_create_if_obsolete
TEST_F(Three, DeleteIsNeverUndoneByAnOlderOperationArrivingLate) {
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  const engine::Operation create = world.pool().front();
  Json edited = *local(world, 0);
  edited["spec"]["zones"] = 2;
  world.put(0, edited);
  const engine::Operation edit = world.pool().back();
  world.remove(0, "default/app1");
  const engine::Operation tombstone = world.pool().back();
  // zone2 sees the delete first, then the older create and edit.
  world.deliver(tombstone, 1);
  world.deliver(edit, 1);
  world.deliver(create, 1);
  EXPECT_EQ(local(world, 1), nullptr);
  EXPECT_TRUE(replicated(world, 1)->deleted);
}

// seed: mesh_update_create_tombstone_*, update_create_tombstone. Ours: a new generation.
TEST_F(Three, RecreatingADeletedNameStartsANewGenerationThatWins) {
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  world.sync_all();
  world.remove(0, "default/app1");
  world.sync_all();
  world.put(1, app("app1", "zone2", 1, {"zone2"}, "3.0"));  // a user creates it again in zone2
  world.sync_all();
  for (std::size_t zone = 0; zone < 3; zone++) {
    ASSERT_NE(local(world, zone), nullptr) << "zone" << zone + 1;
    EXPECT_EQ(owner_of(*local(world, zone)), "zone2");
    EXPECT_EQ(replicated(world, zone)->generation, 2u);
  }
}

// seed: mesh_membership_change. Ours: the first alive placement zone (sorted) takes over.
TEST_F(Three, OwnerLossTakeoverThenOldOwnerReturnsAndFollows) {
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone3", "zone2"}));
  world.sync_all();
  const std::map<std::string, bool> zone1_gone = {
      {"zone1", false}, {"zone2", true}, {"zone3", true}};
  world.set_liveness(1, zone1_gone);
  world.set_liveness(2, zone1_gone);
  world.sync_among({1, 2});
  EXPECT_EQ(owner_of(*local(world, 1)), "zone2");
  EXPECT_EQ(owner_of(*local(world, 2)), "zone2");
  EXPECT_EQ((*local(world, 1))["status"]["ownership"]["epoch"], 2);
  // zone1 returns: it still claims epoch 1 locally, and follows the new owner.
  world.set_liveness(1, {{"zone1", true}});
  world.sync_all();
  EXPECT_EQ(owner_of(*local(world, 0)), "zone2");
  EXPECT_EQ(replicated(world, 0)->epoch, 2);
}

TEST_F(Three, SplitBrainTakeoversWithEqualEpochsResolveOnHeal) {
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  world.sync_all();
  // zone2 and zone3 cannot see each other nor zone1: each takes over alone at epoch 2.
  world.set_liveness(1, {{"zone1", false}, {"zone3", false}}, false);
  world.set_liveness(2, {{"zone1", false}, {"zone2", false}}, false);
  EXPECT_EQ(owner_of(*local(world, 1)), "zone2");
  EXPECT_EQ(owner_of(*local(world, 2)), "zone3");
  // Heal: everyone is alive again, and the claims meet.
  for (std::size_t zone = 0; zone < 3; zone++) {
    world.set_liveness(zone, {{"zone1", true}, {"zone2", true}, {"zone3", true}});
  }
  world.sync_all();
  for (std::size_t zone = 0; zone < 3; zone++) {
    EXPECT_EQ(owner_of(*local(world, zone)), "zone2") << "zone" << zone + 1;
    EXPECT_EQ(replicated(world, zone)->epoch, 2);
  }
}

// seed: snapshot_handling ("own-zone objects missing in k8s -> tombstone"). Ours: the owner's
// snapshot withdraws the part; replicas delete their copies.
TEST_F(Three, WithdrawnOwnerPartRetiresTheObjectEverywhere) {
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  world.sync_all();
  ASSERT_NE(local(world, 2), nullptr);
  const auto forget = world.zone(0).replication->forgettable_keys(world.now());
  EXPECT_TRUE(forget.empty());
  // zone1 compacts its log and forgets app1 (as after tombstone retention).
  auto& z = world.zone(0);
  const Digest owner_key =
      blake2b_256(as_bytes("dcp.hiro.io/v1/AnyApplication/default/app1#owner"));
  auto snapshot = z.store.snapshot(z.identity, z.incarnation, {owner_key}, 0);
  ASSERT_TRUE(snapshot.ok());
  world.deliver(snapshot.value(), 2);
  EXPECT_EQ(local(world, 2), nullptr);
}

TEST_F(Three, ConflictsAreRetriedAndNeverDropTheWrite) {
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  world.zone(1).kube.fail_next_with_conflict = 25;  // more than the retry bound
  world.sync_all();
  EXPECT_EQ(local(world, 1), nullptr) << "the writes are backing off";
  world.advance(Duration::from_seconds(60));
  for (int i = 0; i < 20 && local(world, 1) == nullptr; i++) {
    world.advance(Duration::from_seconds(31));
    world.settle(1);
  }
  ASSERT_NE(local(world, 1), nullptr);
  EXPECT_EQ(owner_of(*local(world, 1)), "zone1");
}

// seed: restart behaviour (new log, obsolete truncation)
TEST_F(Three, RestartWithoutStateRepublishesAndKeepsReplicas) {
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  world.sync_all();
  world.restart(1);
  ASSERT_NE(local(world, 1), nullptr) << "a replica with no mesh news yet is left alone";
  world.restart(0);
  world.sync_all();
  for (std::size_t zone = 0; zone < 3; zone++) {
    ASSERT_NE(local(world, zone), nullptr);
    EXPECT_EQ(owner_of(*local(world, zone)), "zone1");
  }
}

// seed-spec §8.2 #7: deletes made while the watch was down were never sent. Found by the
// convergence property: the owner's controller restarts after its object was deleted.
TEST_F(Three, DeleteWhileTheOwnersControllerWasDownIsPublishedAfterRestart) {
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));
  world.sync_all();
  ASSERT_NE(local(world, 1), nullptr);
  world.remove_silently(0, "default/app1");  // the user deletes it while zone1's mesh is down
  world.restart(0);
  world.sync_all();  // zone1 learns its own older operation from the others
  for (std::size_t zone = 0; zone < 3; zone++) {
    EXPECT_EQ(local(world, zone), nullptr) << "zone" << zone + 1;
  }
}

// Every zone restarts without state while the owner deletes its object: the replica left in
// zone3 is an orphan that only the owner's new snapshot reveals. Found by the convergence
// property: that snapshot can arrive before the owner's peer record (a catch-up starts at the
// snapshot), and the scan must then wait for the zone instead of being skipped.
TEST_F(Three, OrphanIsFoundWhenTheOwnersZoneBecomesKnownAfterItsSnapshot) {
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  world.sync_all();
  ASSERT_NE(local(world, 2), nullptr);
  world.remove_silently(0, "default/app1");
  world.restart(0);
  world.restart(2);
  auto& owner = world.zone(0);
  auto snapshot = owner.store.snapshot(owner.identity, owner.incarnation, {}, 0);
  ASSERT_TRUE(snapshot.ok());
  Replication& replica = *world.zone(2).replication;
  replica.handle_snapshot(world.now(), snapshot.value(), "");  // author's zone not known yet
  world.advance(Duration::from_seconds(11));                   // past the orphan grace
  world.settle(2);
  ASSERT_NE(local(world, 2), nullptr) << "without the owner's zone nothing is an orphan";
  replica.handle_author_zone(world.now(), owner.identity.public_key(), "zone1");
  world.settle(2);
  world.advance(Duration::from_seconds(11));
  world.settle(2);
  EXPECT_EQ(local(world, 2), nullptr);
}

// Found by the convergence property: the owner's user deleted its object while its controller
// was down, and the owner restarted twice without state, partitioned from the zone holding the
// replica. Stores keep two incarnations per author, so the log with the owner part was evicted
// everywhere once the new runs' logs arrived; zone3 alone still held that superseded part,
// which kept its replica alive for good. The owner's new snapshot, which does not list the
// object, makes it an orphan; a snapshot that lists it does not.
// Whether zone3's replica survives the owner's first snapshot after a restart without state
// (and the orphan grace), when zone3 holds only the owner's older run's owner part.
bool replica_survives_owner_snapshot(ZoneWorld& world, bool deleted_while_down) {
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  world.sync_all();
  EXPECT_NE(local(world, 2), nullptr);
  if (deleted_while_down) world.remove_silently(0, "default/app1");
  world.restart(0);
  auto& owner = world.zone(0);
  auto snapshot = owner.store.snapshot(owner.identity, owner.incarnation, {}, 0);
  EXPECT_TRUE(snapshot.ok());
  if (!snapshot.ok()) return true;
  world.zone(2).replication->handle_snapshot(world.now(), snapshot.value(), "zone1");
  world.settle(2);
  world.advance(Duration::from_seconds(11));  // past the orphan grace
  world.settle(2);
  return local(world, 2) != nullptr;
}

TEST_F(Three, ReplicaHeldOnlyByAnOlderRunsOwnerPartIsAnOrphan) {
  EXPECT_FALSE(replica_survives_owner_snapshot(world, true));
}

TEST_F(Three, ReplicaListedInTheOwnersNewSnapshotIsNoOrphan) {
  EXPECT_TRUE(replica_survives_owner_snapshot(world, false));
}

// Found by the convergence property: a zone deleted its object and then restarted quickly
// several times. Stores keep only the newest incarnations of an author, so the log holding the
// delete was dropped everywhere and a fresh store saw only the other zones' older live parts.
// A restarted run therefore says its older incarnation's delete again, in its own log.
TEST_F(Three, ARestartedRunCarriesItsOlderDeleteIntoItsOwnLog) {
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));
  world.sync_all();
  // zone2 takes over from a vanished zone1, then its user deletes the object.
  world.set_liveness(1, {{"zone1", false}, {"zone2", true}, {"zone3", true}});
  ASSERT_EQ(owner_of(*local(world, 1)), "zone2");
  world.remove(1, "default/app1");
  world.sync_all();
  ASSERT_EQ(local(world, 2), nullptr);
  const std::uint64_t deleting_incarnation = world.zone(1).incarnation;
  world.restart(1);
  world.sync_all();
  // What a fresh store holds once the deleting incarnation's log is gone: zone1's live
  // epoch-1 part, and whatever zone2's new run said.
  Replication fresh({.zone = "zone3", .resources = {any_application}});
  const PublicKey zone2 = world.zone(1).identity.public_key();
  for (const Operation& op : world.pool()) {
    if (op.log().author == zone2 && op.log().incarnation == deleting_incarnation) continue;
    if (op.kind() == OperationKind::snapshot) {
      fresh.handle_snapshot(world.now(), op, world.zone_of(op.log().author));
    } else {
      (void)fresh.handle_operation(world.now(), op, world.zone_of(op.log().author));
    }
  }
  const auto object = fresh.replicated(0, "default", "app1");
  ASSERT_TRUE(object.has_value());
  EXPECT_TRUE(object->deleted);
}

// The user creates app1 again in zone1 and zone1's controller crashes before it sees the
// creation; it restarts without state and syncs with everyone.
void recreate_unseen_then_restart_owner(ZoneWorld& world) {
  std::vector<KubeWatchEvent> unseen;
  world.zone(0).kube.put(KubeKind::resource(0), app("app1", "zone1", 1, {"zone1"}), unseen);
  world.restart(0);
  world.sync_all();
}

// Found by the convergence property: the owner deletes its object, the user creates it again
// and the controller crashes before it sees the creation. The restarted run knows nothing of
// the delete and publishes the object as generation 1, the generation the delete retired; once
// it learns of its older delete, the user's re-creation must still win everywhere.
TEST_F(Three, ARecreationUnseenBeforeACrashWinsOverTheOlderDelete) {
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  world.sync_all();
  world.remove(0, "default/app1");
  world.sync_all();
  ASSERT_EQ(local(world, 1), nullptr);
  recreate_unseen_then_restart_owner(world);
  for (std::size_t zone = 0; zone < 3; zone++) {
    ASSERT_NE(local(world, zone), nullptr) << "zone" << zone + 1;
    EXPECT_EQ(owner_of(*local(world, zone)), "zone1");
  }
}

// Found by the convergence property: zone1 and zone2 create app1 at once and zone1 wins. zone1's
// user deletes it while zone1 is down, and zone1's next runs never learn of the winning part
// (their stores evicted that run's log). zone2 had accepted the part and kept it, so it kept
// zone1 as the owner while zone1 followed zone2. zone1's new snapshot, which does not list the
// part, now withdraws it everywhere once the orphan grace has passed.
TEST_F(Three, AnOwnerPartTheAuthorsNewestSnapshotDropsIsWithdrawnAfterTheGrace) {
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  world.put(1, app("app1", "zone2", 1, {"zone2"}));
  world.sync_all();
  ASSERT_EQ(owner_of(*local(world, 1)), "zone1");
  const std::size_t zone2_end = world.pool().size();
  world.remove_silently(0, "default/app1");
  world.restart(0);  // learns nothing of its first run: that log is gone everywhere
  auto& owner = world.zone(0);
  auto snapshot = owner.store.snapshot(owner.identity, owner.incarnation, {}, 0);
  ASSERT_TRUE(snapshot.ok());
  world.zone(1).replication->handle_snapshot(world.now(), snapshot.value(), "zone1");
  world.settle(1);
  EXPECT_EQ(owner_of(*local(world, 1)), "zone1") << "not before the grace";
  world.advance(Duration::from_seconds(11));
  world.settle(1);
  ASSERT_NE(local(world, 1), nullptr);
  EXPECT_EQ(owner_of(*local(world, 1)), "zone2");
  for (std::size_t index = 0; index < zone2_end; index++) {
    const Operation& op = world.pool()[index];
    if (op.log().author == world.zone(1).identity.public_key()) world.deliver(op, 0);
  }
  ASSERT_NE(local(world, 0), nullptr);
  EXPECT_EQ(owner_of(*local(world, 0)), "zone2");
}

// The same withdrawal, whichever of the part and the author's newest snapshot arrives first.
// Found by the convergence property: zones that had the older run's part before the snapshot
// withdrew it, a zone that got the part after the snapshot kept it, and they disagreed on the
// owner for good.
TEST_F(Three, AWithdrawalDoesNotDependOnWhetherThePartOrTheSnapshotCameFirst) {
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  world.put(1, app("app1", "zone2", 1, {"zone2"}));
  world.sync_all();
  ASSERT_EQ(owner_of(*local(world, 1)), "zone1");
  world.remove_silently(0, "default/app1");
  world.restart(0);
  auto& owner = world.zone(0);
  auto snapshot = owner.store.snapshot(owner.identity, owner.incarnation, {}, 0);
  ASSERT_TRUE(snapshot.ok());
  std::vector<std::string> owners;
  for (const bool snapshot_first : {false, true}) {
    Replication replica({.zone = "zone3", .resources = {any_application}});
    replica.handle_relist(world.now(), {KubeKind::resource(0), {}});
    if (snapshot_first) replica.handle_snapshot(world.now(), snapshot.value(), "zone1");
    for (const Operation& op : world.pool()) {
      if (op.kind() == OperationKind::snapshot) {
        replica.handle_snapshot(world.now(), op, world.zone_of(op.log().author));
      } else {
        (void)replica.handle_operation(world.now(), op, world.zone_of(op.log().author));
      }
    }
    if (!snapshot_first) replica.handle_snapshot(world.now(), snapshot.value(), "zone1");
    // Past the orphan grace; the first reconcile withdraws before it writes anything.
    replica.reconcile({world.now().monotonic + Duration::from_seconds(11), world.now().wall});
    const auto object = replica.replicated(0, "default", "app1");
    ASSERT_TRUE(object.has_value());
    owners.push_back(object->owner_zone);
  }
  EXPECT_EQ(owners[0], "zone2");
  EXPECT_EQ(owners[1], owners[0]);
}

// Found by the convergence property: zone2 creates app1 and both zones crash; zone2's user
// deletes it, and both restart from checkpoints older than app1, so the mesh forgets it. The
// owner's new snapshot reached zone1 before zone1's first list: no entry existed yet to mark
// as an orphan, and zone1 kept its replica for good. The first list now scans the newest
// snapshots again.
TEST_F(Three, AnOrphanListedAfterItsOwnersSnapshotArrivedIsStillFound) {
  world.put(1, app("app1", "zone2", 1, {"zone2", "zone1"}));
  world.sync_all();
  ASSERT_NE(local(world, 0), nullptr);
  world.remove_silently(1, "default/app1");
  world.restart(1);
  auto& owner = world.zone(1);
  auto snapshot = owner.store.snapshot(owner.identity, owner.incarnation, {}, 0);
  ASSERT_TRUE(snapshot.ok());
  world.restart_restored(0, {snapshot.value()});  // the snapshot comes before the list
  world.advance(Duration::from_seconds(11));      // past the orphan grace
  world.settle(0);
  EXPECT_EQ(local(world, 0), nullptr);
}

// Found by the convergence property: zone1 re-creates app1 after deleting it and says it as
// generation 2, but crashes before the generation is stamped on its own object; it restarts
// without state and, knowing nothing, says generation 1. The replicas keep generation 2 (they
// never go back), so zone1 must say at least that again once it learns its earlier part.
TEST_F(Three, AFreshRunNeverSaysALowerGenerationThanItsEarlierRun) {
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));
  world.sync_all();
  world.remove(0, "default/app1");
  world.sync_all();
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));  // the re-creation: generation 2
  world.sync_all();
  const auto generation = [&](std::size_t zone) {
    return string_at(*local(world, zone), {"metadata", "annotations", generation_annotation});
  };
  ASSERT_NE(local(world, 1), nullptr);
  ASSERT_EQ(generation(1), "2");
  std::vector<KubeWatchEvent> unseen;  // the stamp never landed: the object as the user wrote it
  world.zone(0).kube.put(KubeKind::resource(0), app("app1", "zone1", 1, {"zone1", "zone2"}),
                         unseen);
  world.restart(0);
  world.sync_all();
  for (std::size_t zone = 0; zone < 3; zone++) {
    ASSERT_NE(local(world, zone), nullptr) << "zone" << zone + 1;
    EXPECT_EQ(generation(zone), "2") << "zone" << zone + 1;
  }
}

// A run restored from a checkpoint holds its older incarnation's parts, and its cluster holds
// the same object, so it has nothing new to say; but stores keep two incarnations per author,
// so after two more restarts no store would hold those parts. The restored run says them again
// once, in its own log (regression: scenarios/regressions/restored-run-carries-its-parts.yaml).
TEST_F(Three, ARestoredRunSaysItsOwnPartsAgainOnce) {
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));
  world.sync_all();
  const std::vector<Operation> checkpoint = world.pool();
  world.restart_restored(0, checkpoint);
  const std::uint64_t run = world.zone(0).incarnation;
  const auto said_in_run = [&] {
    std::size_t count = 0;
    for (const Operation& op : world.pool()) {
      count +=
          op.log().author == world.zone(0).identity.public_key() && op.log().incarnation == run;
    }
    return count;
  };
  EXPECT_GE(said_in_run(), 1u) << "the owner part, said again under the restored run";
  const std::size_t said = said_in_run();
  world.sync_all();
  world.settle(0);
  EXPECT_EQ(said_in_run(), said) << "once per run, not on every reconcile";
  for (std::size_t zone = 0; zone < 3; zone++) {
    ASSERT_NE(local(world, zone), nullptr) << "zone" << zone + 1;
    EXPECT_EQ(owner_of(*local(world, zone)), "zone1");
  }
}

// Found by the convergence property. Run 1 of zone1 deletes app1 (its checkpoint holds that
// delete); run 2, which never saves a checkpoint, re-creates it as generation 2; zone1 crashes,
// its user deletes the object, and run 3 restores run 1's checkpoint and carries its old delete
// forward before it hears of run 2. Run 2's part then came from an older incarnation and was
// dropped, so nobody said the new delete and zone2 kept generation 2 for good.
TEST_F(Three, ARunRestoredFromAStaleCheckpointDeletesWhatTheRunBeforeItRecreated) {
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));
  world.sync_all();
  world.remove(0, "default/app1");
  world.sync_all();
  const std::size_t checkpoint_end = world.pool().size();  // run 1's operations
  world.restart(0);                                        // run 2
  world.sync_all();
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));
  world.sync_all();
  ASSERT_NE(local(world, 1), nullptr);
  const std::size_t run2_end = world.pool().size();
  world.remove_silently(0, "default/app1");
  // Run 3, restored from run 1's checkpoint.
  const auto checkpoint_last = world.pool().begin() + static_cast<std::ptrdiff_t>(checkpoint_end);
  world.restart_restored(0, std::vector<Operation>(world.pool().begin(), checkpoint_last));
  for (std::size_t index = checkpoint_end; index < run2_end; index++) {
    world.deliver(world.pool()[index], 0);
  }
  world.sync_all();
  for (std::size_t zone = 0; zone < 3; zone++) {
    EXPECT_EQ(local(world, zone), nullptr) << "zone" << zone + 1;
  }
}

// Found by the convergence property. A replica's DELETE was held by its controller's finalizer
// and answered (with the object marked for deletion) after the watch had already said DELETED.
// Taking that answer as the local object left a ghost. Then the owner restarted without state
// and, not knowing its own delete, published the user's re-creation as the same generation with
// the same content: the replica compared it with its ghost, found nothing to do, and never
// created it.
TEST_F(Three, ADeleteAnsweredAfterItsWatchEventLeavesNoGhost) {
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  world.sync_all();
  const Json before = *local(world, 1);
  const std::uint64_t version = std::stoull(string_at(before, {"metadata", "resourceVersion"}));
  world.remove(0, "default/app1");
  Replication& replica = *world.zone(1).replication;
  ASSERT_TRUE(replica.handle_operation(world.now(), world.pool().back(), "zone1").ok());
  replica.reconcile(world.now());
  const auto request = replica.poll_request();
  ASSERT_TRUE(request.has_value());
  ASSERT_EQ(request->verb, KubeVerb::remove);
  Json held = before;
  held["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  held["metadata"]["resourceVersion"] = std::to_string(version + 1);
  Json gone = held;
  gone["metadata"]["resourceVersion"] = std::to_string(version + 2);
  world.remove_silently(1, "default/app1");
  replica.handle_watch(world.now(), {KubeKind::resource(0), WatchEventType::deleted,
                                     std::make_shared<const Json>(gone)});
  replica.handle_result(world.now(), {.id = request->id,
                                      .outcome = KubeOutcome::ok,
                                      .object = std::make_shared<const Json>(held)});
  world.sync_all();
  ASSERT_EQ(local(world, 2), nullptr);
  recreate_unseen_then_restart_owner(world);
  for (std::size_t zone = 0; zone < 3; zone++) {
    EXPECT_NE(local(world, zone), nullptr) << "zone" << zone + 1;
  }
}

// Found with checkpoints: a restored node holds the mesh's state before its first list
// returns. "No local object" then only means "not read yet"; writing would re-create what the
// user deleted while the controller was down. Nothing is written until the kind is listed.
TEST_F(Three, NothingIsWrittenForAKindBeforeItIsListed) {
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));
  world.sync_all();
  Replication restored({.zone = "zone1",
                        .resources = {any_application},
                        .own_key = world.zone(0).identity.public_key(),
                        .incarnation = world.zone(0).incarnation + 100});
  for (const Operation& op : world.pool()) {
    const std::string author_zone = world.zone_of(op.log().author);
    if (op.kind() == OperationKind::snapshot) {
      restored.handle_snapshot(world.now(), op, author_zone);
    } else {
      ASSERT_TRUE(restored.handle_operation(world.now(), op, author_zone).ok());
    }
  }
  restored.reconcile(world.now());
  EXPECT_FALSE(restored.poll_request().has_value()) << "the object was written before listing";
  EXPECT_FALSE(restored.next_deadline().has_value()) << "an unlisted kind waits for no timer";
  // The list shows the user deleted it meanwhile: the owner says so instead of re-creating it.
  restored.handle_relist(world.now(), {KubeKind::resource(0), {}});
  restored.reconcile(world.now());
  EXPECT_FALSE(restored.poll_request().has_value());
  bool published_delete = false;
  while (auto publication = restored.poll_publication()) {
    const std::string payload(publication->payload.begin(), publication->payload.end());
    if (payload.find("\"deleted\":true") != std::string::npos) published_delete = true;
  }
  EXPECT_TRUE(published_delete);
}

// Ours (the seed writes every remote entry as it comes): other zones' entries that arrive
// within status_write_delay of the first become one status write, made when the delay since
// the first difference ends, however many more arrive meanwhile.
TEST(ReplicationStatusDelay, EntriesArrivingWithinTheDelayBecomeOneWriteAtItsEnd) {
  ZoneWorld world{{any_application}};
  world.set_status_write_delay(Duration::from_ms(20));
  for (const char* zone : {"zone1", "zone2", "zone3", "zone4"}) world.add_zone(zone);
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2", "zone3", "zone4"}));
  world.sync_all();
  world.advance(Duration::from_ms(20));
  for (std::size_t zone = 0; zone < 4; zone++) world.settle(zone);  // replicas' first status
  ASSERT_NE(local(world, 3), nullptr);
  ASSERT_EQ(owner_of(*local(world, 3)), "zone1") << "the first status write ended its delay";
  const std::uint64_t requests_before = world.zone(0).replication->stats().requests;
  const std::size_t pooled = world.pool().size();
  world.put(1, with_zone_entry(*local(world, 1), "zone2", 1));
  world.put(2, with_zone_entry(*local(world, 2), "zone3", 1));
  ASSERT_EQ(world.pool().size(), pooled + 2);
  world.deliver(world.pool()[pooled], 0);  // the first difference: the delay starts here
  world.advance(Duration::from_ms(15));
  world.deliver(world.pool()[pooled + 1], 0);  // a second entry does not restart it
  world.advance(Duration::from_ms(4));
  world.settle(0);
  EXPECT_EQ(world.zone(0).replication->stats().requests, requests_before) << "19 ms: waiting";
  EXPECT_EQ(entries(*local(world, 0)).count("zone2"), 0u);
  const auto deadline = world.zone(0).replication->next_deadline();
  ASSERT_TRUE(deadline.has_value());
  EXPECT_EQ(*deadline, world.now().monotonic + Duration::from_ms(1)) << "wakes when it ends";
  world.advance(Duration::from_ms(1));
  world.settle(0);
  EXPECT_EQ(world.zone(0).replication->stats().requests, requests_before + 1) << "one write";
  const auto found = entries(*local(world, 0));
  EXPECT_EQ(found.count("zone2"), 1u);
  EXPECT_EQ(found.count("zone3"), 1u);
}

// The delay is for status only: an owner's spec change is written by the replicas at once.
TEST(ReplicationStatusDelay, AMainResourceChangeIsNotDelayed) {
  ZoneWorld world{{any_application}};
  world.set_status_write_delay(Duration::from_ms(20));
  world.add_zone("zone1");
  world.add_zone("zone2");
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));
  world.sync_all();
  world.advance(Duration::from_ms(20));
  world.settle(1);
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}, "2.0"));
  world.sync_all();
  ASSERT_NE(local(world, 1), nullptr);
  EXPECT_EQ((*local(world, 1))["spec"]["source"]["helm"]["version"], "2.0");
}

std::string payload_of(const Operation& operation) {
  return std::string(operation.payload().begin(), operation.payload().end());
}

// Two zones that gather their own changes for 20 ms; zone1 has just created app1 (v1.0).
struct ReplicationPublishDelay : ::testing::Test {
  ZoneWorld world{{any_application}};
  void SetUp() override {
    world.set_publish_delay(Duration::from_ms(20));
    world.add_zone("zone1");
    world.add_zone("zone2");
    world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));
  }
};

// Ours (the seed publishes every change it sees): a zone's own changes that watches show within
// publish_delay of the first become one operation, published from the latest state when the
// delay since the first ends; the entry is left alone meanwhile, not reverted.
TEST_F(ReplicationPublishDelay, LocalChangesWithinTheDelayBecomeOneOperation) {
  EXPECT_TRUE(world.pool().empty()) << "waiting";
  const auto deadline = world.zone(0).replication->next_deadline();
  ASSERT_TRUE(deadline.has_value());
  EXPECT_EQ(*deadline, world.now().monotonic + Duration::from_ms(20)) << "wakes when it ends";
  world.advance(Duration::from_ms(20));
  world.settle(0);
  ASSERT_EQ(world.pool().size(), 1u);
  world.sync_all();
  const std::uint64_t requests_before = world.zone(0).replication->stats().requests;
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}, "2.0"));
  world.advance(Duration::from_ms(15));
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}, "3.0"));  // does not restart it
  world.advance(Duration::from_ms(4));
  world.settle(0);
  EXPECT_EQ(world.pool().size(), 1u) << "19 ms: waiting";
  // The replicated state still says 1.0: reconciling now would write it back over the change.
  EXPECT_EQ(world.zone(0).replication->stats().requests, requests_before) << "left alone";
  EXPECT_EQ((*local(world, 0))["spec"]["source"]["helm"]["version"], "3.0");
  world.advance(Duration::from_ms(1));
  world.settle(0);
  ASSERT_EQ(world.pool().size(), 2u) << "one operation for the burst";
  EXPECT_NE(payload_of(world.pool()[1]).find("\"3.0\""), std::string::npos) << "the latest";
  world.sync_all();
  ASSERT_NE(local(world, 1), nullptr);
  EXPECT_EQ((*local(world, 1))["spec"]["source"]["helm"]["version"], "3.0");
  EXPECT_EQ((*local(world, 0))["spec"]["source"]["helm"]["version"], "3.0");
}

// A claim an operator wrote that still waits to be published is not taken over when its owner
// goes: the takeover's status write (epoch + 1 over the replicated ownership) would overwrite
// it. Found by review.
TEST_F(ReplicationPublishDelay, AWaitingClaimIsNotTakenOver) {
  world.advance(Duration::from_ms(20));
  world.settle(0);
  world.sync_all();
  world.advance(Duration::from_ms(20));
  world.settle(1);
  ASSERT_NE(local(world, 1), nullptr);
  ASSERT_EQ(owner_of(*local(world, 1)), "zone1");
  Json claim = *local(world, 1);
  claim["status"]["ownership"]["owner"] = "zone2";
  claim["status"]["ownership"]["epoch"] = 5;
  world.put(1, claim);
  const std::uint64_t requests_before = world.zone(1).replication->stats().requests;
  world.set_liveness(1, {{"zone1", false}, {"zone2", true}});  // a takeover would run now
  EXPECT_EQ(world.zone(1).replication->stats().requests, requests_before);
  EXPECT_EQ((*local(world, 1))["status"]["ownership"]["epoch"], 5);
  world.advance(Duration::from_ms(20));
  world.settle(1);
  ASSERT_TRUE(replicated(world, 1).has_value());
  EXPECT_EQ(replicated(world, 1)->owner_zone, "zone2");
  EXPECT_EQ(replicated(world, 1)->epoch, 5) << "the claim as written, not a takeover's epoch 2";
}

// A delete is never held back, and a change still waiting when it comes is dropped with the
// object: nothing published afterwards brings the object back.
TEST_F(ReplicationPublishDelay, ADeleteDuringTheDelayIsPublishedAtOnce) {
  world.advance(Duration::from_ms(20));
  world.settle(0);
  world.sync_all();
  ASSERT_NE(local(world, 1), nullptr);
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}, "2.0"));
  const std::size_t pooled = world.pool().size();
  world.remove(0, "default/app1");
  ASSERT_EQ(world.pool().size(), pooled + 1);
  EXPECT_NE(payload_of(world.pool().back()).find("\"deleted\":true"), std::string::npos);
  world.advance(Duration::from_ms(20));
  world.settle(0);
  EXPECT_EQ(world.pool().size(), pooled + 1) << "the waiting change went with the object";
  world.sync_all();
  EXPECT_EQ(local(world, 0), nullptr);
  EXPECT_EQ(local(world, 1), nullptr);
}

TEST(Replication, ForeignAndMalformedPayloadsAreRejectedWithReasons) {
  ZoneWorld world{{any_application}};
  world.add_zone("zone1");
  Replication& replication = *world.zone(0).replication;
  const Identity author = test::test_identity(9);
  const auto make = [&](const std::string& text) {
    return Operation::create(author, {.log = {author.public_key(), 1}},
                             Bytes(text.begin(), text.end()))
        .value();
  };
  EXPECT_EQ(replication.handle_operation(Now{}, make("not json"), "").error().code,
            PayloadError::malformed);
  EXPECT_EQ(replication.handle_operation(Now{}, make(R"({"v":1})"), "").error().code,
            PayloadError::malformed);
  const std::string foreign =
      R"({"v":1,"kind":"v1/Secret","ns":"a","name":"b","zone":"zone9","part":"zone",)"
      R"("gen":1,"entry":{}})";
  EXPECT_EQ(replication.handle_operation(Now{}, make(foreign), "").error().code,
            PayloadError::unknown_kind);
  const std::string impostor =
      R"({"v":1,"kind":"dcp.hiro.io/v1/AnyApplication","ns":"a","name":"b","zone":"zone2",)"
      R"("part":"zone","gen":1,"entry":{}})";
  EXPECT_EQ(replication.handle_operation(Now{}, make(impostor), "zone9").error().code,
            PayloadError::wrong_zone);
  // Labels and annotations of an owner part become metadata maps of strings: anything else
  // is refused here (a string for labels once ended every node that merged it).
  const std::string owner_prefix =
      R"({"v":1,"kind":"dcp.hiro.io/v1/AnyApplication","ns":"default","name":"b","zone":"zone2",)"
      R"("part":"owner","gen":1,"epoch":1,"owner":"zone2","deleted":false,"content":)";
  for (const std::string content : {R"({"labels":"x","spec":{}})",
                                    R"({"annotations":{"note":1},"spec":{}})",
                                    R"({"labels":[],"spec":{}})"}) {
    const auto result = replication.handle_operation(Now{}, make(owner_prefix + content + "}"), "");
    ASSERT_FALSE(result.ok()) << content;
    EXPECT_EQ(result.error().code, PayloadError::malformed) << content;
    EXPECT_NE(result.error().message.find("content."), std::string::npos) << result.error().message;
  }
  replication.reconcile(Now{});  // nothing was merged, so nothing throws or is written
  EXPECT_FALSE(replication.poll_request().has_value());
  std::string deep(200, '[');
  EXPECT_EQ(replication.handle_operation(Now{}, make(deep), "").error().code,
            PayloadError::malformed);
  EXPECT_EQ(replication.stats().rejected_operations, 8u);
}

// --- default strategy (owner-zone label) ---

Json config(const std::string& name, const std::string& value,
            std::optional<std::string> owner = std::nullopt) {
  Json object = {{"apiVersion", "v1"},
                 {"kind", "ConfigMap"},
                 {"metadata", {{"name", name}, {"namespace", "default"}}},
                 {"data", {{"key", value}}}};
  if (owner) object["metadata"]["labels"][owner_zone_label] = *owner;
  return object;
}

struct TwoDefault : ::testing::Test {
  ZoneWorld world{{config_map}};
  void SetUp() override {
    world.add_zone("zone1");
    world.add_zone("zone2");
  }
};

// seed: kube_update_create_non_existing, mesh_update_non_existing_create
TEST_F(TwoDefault, UnlabeledObjectBelongsToItsZoneAndReplicates) {
  world.put(0, config("c1", "a"));
  world.sync_all();
  const Json* copy = world.zone(1).kube.get("default/c1");
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ((*copy)["data"]["key"], "a");
  EXPECT_EQ(string_at(*copy, {"metadata", "labels", owner_zone_label}), "zone1");
}

// seed: mesh_update_other_zone, kube_update skip when not owned
TEST_F(TwoDefault, NonOwnerEditsAreRevertedAndOwnerEditsWin) {
  world.put(0, config("c1", "a"));
  world.sync_all();
  world.put(1, config("c1", "rogue", "zone1"));
  world.sync_all();
  EXPECT_EQ((*world.zone(1).kube.get("default/c1"))["data"]["key"], "a");
  world.put(0, config("c1", "b", "zone1"));
  world.sync_all();
  EXPECT_EQ((*world.zone(1).kube.get("default/c1"))["data"]["key"], "b");
}

// seed: kube_delete_incoming_version_greater, mesh_delete_versions_equal
TEST_F(TwoDefault, OwnerDeleteSpreads) {
  world.put(0, config("c1", "a"));
  world.sync_all();
  world.remove(0, "default/c1");
  world.sync_all();
  EXPECT_EQ(world.zone(1).kube.get("default/c1"), nullptr);
}

// seed: kube_update skip for a foreign owner label
TEST_F(TwoDefault, ObjectLabeledForAnotherZoneIsNotPublishedByThisOne) {
  world.put(0, config("c1", "a", "zone2"));
  world.sync_all();
  EXPECT_TRUE(world.pool().empty());
  EXPECT_EQ(world.zone(1).kube.get("default/c1"), nullptr);
}

// Found by the replication property once it restarted zones and took snapshots: zone1
// restarts without state holding a copy of zone2's app1. zone2's newest snapshot, taken before
// app1 existed, arrives first and marks the copy an orphan; zone2's part arrives next and ends
// that. The orphan wait had pushed the entry's next write to the end of the grace, so zone1
// ignored zone3's takeover until then instead of following it at once.
TEST(ReplicationOrphans, APartThatEndsAnOrphanWaitAlsoEndsItsDelay) {
  ZoneWorld world{{any_application}};
  for (const char* zone : {"zone1", "zone2", "zone3"}) world.add_zone(zone);
  world.snapshot(1);
  world.put(1, app("app1", "zone2", 1, {"zone2"}));
  world.sync_all();
  world.restart(0);
  world.set_liveness(2, {{"zone1", false}}, false);  // only zone3 looks alive from zone3
  world.set_liveness(2, {{"zone1", true}}, true);
  ASSERT_EQ(owner_of(*local(world, 2)), "zone3");
  world.sync_all();  // no time passes
  for (std::size_t zone = 0; zone < 3; zone++) {
    ASSERT_NE(local(world, zone), nullptr);
    EXPECT_EQ(owner_of(*local(world, zone)), "zone3") << "zone" << zone + 1;
  }
}

// Found by the convergence property: a paused zone resumed, wrote the main resource of a
// replica (spec, the mesh's owner label and generation) and died before writing its status;
// the owner had deleted the object meanwhile and every zone lost that history. The copy
// declared no owner, so no owner's snapshot ever made it an orphan, and it stayed for good.
// The owner label the mesh writes with the main resource stands in for the missing status.
TEST(ReplicationOrphans, AReplicaWhoseStatusWasNeverWrittenIsStillAnOrphan) {
  ZoneWorld world{{any_application}};
  for (const char* zone : {"zone1", "zone2"}) world.add_zone(zone);
  Json replica = app("app1", "zone1", 1, {"zone1"});
  replica.erase("status");
  replica["metadata"]["labels"][owner_zone_label] = "zone1";
  replica["metadata"]["annotations"][generation_annotation] = "1";
  std::vector<KubeWatchEvent> unseen;
  world.zone(1).kube.put(KubeKind::resource(0), replica, unseen);
  world.restart(1);   // lists the copy; the mesh says nothing about app1
  world.snapshot(0);  // zone1's newest snapshot does not list app1
  world.sync_all();
  ASSERT_NE(local(world, 1), nullptr) << "not before the orphan grace";
  world.advance(Duration::from_seconds(11));
  world.settle(1);
  EXPECT_EQ(local(world, 1), nullptr);
}

// Found by the convergence property, as a crash: an orphan's copy was deleted by its user
// during the grace, and the end of the grace read the missing copy. Nothing is left to delete
// then, and nothing may bring the copy back.
TEST(ReplicationOrphans, AnOrphanDeletedDuringTheGraceStaysDeleted) {
  ZoneWorld world{{any_application}};
  for (const char* zone : {"zone1", "zone2"}) world.add_zone(zone);
  Json replica = app("app1", "zone1", 1, {"zone1"});
  replica["metadata"]["annotations"][generation_annotation] = "1";
  std::vector<KubeWatchEvent> unseen;
  world.zone(1).kube.put(KubeKind::resource(0), replica, unseen);
  world.restart(1);
  world.snapshot(0);
  world.sync_all();
  ASSERT_NE(local(world, 1), nullptr);
  world.remove(1, "default/app1");  // during the grace
  world.advance(Duration::from_seconds(11));
  world.settle(1);
  EXPECT_EQ(local(world, 1), nullptr);
  world.sync_all();
  EXPECT_EQ(local(world, 0), nullptr);
  EXPECT_EQ(local(world, 1), nullptr);
}

// Found by the convergence property (scenarios/regressions/stale-generation-replica-after-
// owner-restarts.yaml): a replica holds generation 2 of zone1's object, but the only log that
// said generation 2 is gone everywhere and zone1 says the delete of generation 1. The copy
// must not stay for good; it goes after the orphan grace, in which the part could still come.
TEST(ReplicationOrphans, AReplicaOfAGenerationNoPartStatesGoesAfterTheGrace) {
  ZoneWorld world{{any_application}};
  for (const char* zone : {"zone1", "zone2"}) world.add_zone(zone);
  world.put(0, app("app1", "zone1", 1, {"zone1"}));
  world.sync_all();
  world.remove(0, "default/app1");
  world.sync_all();
  ASSERT_EQ(local(world, 1), nullptr);
  Json copy = app("app1", "zone1", 1, {"zone1"});
  copy["metadata"]["labels"][owner_zone_label] = "zone1";
  copy["metadata"]["annotations"][generation_annotation] = "2";
  std::vector<KubeWatchEvent> unseen;
  world.zone(1).kube.put(KubeKind::resource(0), copy, unseen);
  world.restart(1);  // lists the generation-2 copy; the mesh says generation 1 is deleted
  world.sync_all();
  ASSERT_NE(local(world, 1), nullptr) << "not before the grace";
  world.advance(Duration::from_seconds(11));
  world.settle(1);
  EXPECT_EQ(local(world, 1), nullptr);
}

// --- properties ---

// A random history: zones create, edit, write status, delete, take over, compact their logs
// and restart without state; returns the world after partial, in-order delivery (so later
// operations are built on knowledge of earlier).
ZoneWorld random_history(std::size_t zone_count) {
  ZoneWorld world{{any_application}};
  for (std::size_t i = 0; i < zone_count; i++) world.add_zone("zone" + std::to_string(i + 1));
  const auto steps = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
      rc::gen::tuple(rc::gen::inRange(0, static_cast<int>(zone_count)), rc::gen::inRange(0, 8),
                     rc::gen::inRange(0, 3)));
  int counter = 0;
  for (const auto& [zone_index, action, object] : steps) {
    const auto zone = static_cast<std::size_t>(zone_index);
    const std::string name = "app" + std::to_string(object);
    const std::string zone_name = "zone" + std::to_string(zone + 1);
    const Json* current = local(world, zone, name);
    counter++;
    if (action == 0 && current == nullptr) {
      world.put(zone, app(name, zone_name, 1, {zone_name}, std::to_string(counter)));
    } else if (action == 1 && current != nullptr) {
      Json edited = *current;
      edited["spec"]["source"]["helm"]["version"] = std::to_string(counter);
      world.put(zone, edited);
    } else if (action == 2 && current != nullptr) {
      world.put(zone, with_zone_entry(*current, zone_name, counter));
    } else if (action == 3 && current != nullptr) {
      world.remove(zone, "default/" + name);
    } else if (action == 4) {
      world.set_liveness(zone, {{"zone1", false}}, false);  // zone1 looks gone from here
      world.set_liveness(zone, {{"zone1", true}}, true);
    } else if (action == 6) {
      world.snapshot(zone);
    } else if (action == 7) {
      world.restart(zone);  // a new run without state; the cluster keeps its objects
    } else {
      world.sync_all();
    }
  }
  return world;
}

// Applies `operations` in the given order to a fresh replication of `zone`.
std::map<std::string, std::string> merged(const std::vector<Operation>& operations,
                                          ZoneWorld& world, PayloadCache* cache = nullptr) {
  Replication replication(
      {.zone = "observer", .resources = {any_application}, .payload_cache = cache});
  replication.handle_relist(Now{}, {KubeKind::resource(0), {}});
  for (const Operation& op : operations) {
    if (op.kind() == OperationKind::snapshot) {
      replication.handle_snapshot(Now{}, op, world.zone_of(op.log().author));
    } else {
      (void)replication.handle_operation(Now{}, op, world.zone_of(op.log().author));
    }
  }
  // Past every grace period: withdrawals of older runs' parts happen in reconcile.
  replication.reconcile({Instant::from_ns(0) + Duration::from_seconds(3'600), WallTime{}});
  std::map<std::string, std::string> out;
  for (const auto& [kind, ns, name] : replication.objects()) {
    const auto object = replication.replicated(kind, ns, name);
    Json summary = {{"gen", object->generation},
                    {"deleted", object->deleted},
                    {"epoch", object->epoch},
                    {"owner", object->owner_zone},
                    {"content", object->content}};
    for (const auto& [zone, entry] : object->zones) summary["zones"][zone] = entry;
    out[name] = canonical(summary);
  }
  return out;
}

template <typename T>
std::vector<T> shuffled(std::vector<T> items) {
  for (std::size_t index = items.size(); index > 1; index--) {
    std::swap(items[index - 1], items[*rc::gen::inRange<std::size_t>(0, index)]);
  }
  return items;
}

RC_GTEST_PROP(ReplicationProperty, AnyOrderWithDuplicatesGivesIdenticalObjects, ()) {
  const auto zone_count = *rc::gen::inRange<std::size_t>(2, 6);
  ZoneWorld world = random_history(zone_count);
  std::vector<Operation> operations = world.pool();
  const auto duplicates = *rc::gen::container<std::vector<std::size_t>>(
      rc::gen::inRange<std::size_t>(0, std::max<std::size_t>(operations.size(), 1)));
  for (const std::size_t index : duplicates) {
    if (index < operations.size()) operations.push_back(operations[index]);
  }
  const auto first = merged(shuffled(operations), world);
  const auto second = merged(shuffled(operations), world);
  RC_ASSERT(first == second);
  RC_ASSERT(first == merged(world.pool(), world));
}

// The simulator's shared cache of parsed payloads is invisible: a tiny one (evicting all the
// time, so some payloads come from it and some are parsed again) merges as no cache does.
RC_GTEST_PROP(ReplicationProperty, ASharedPayloadCacheChangesNoMerge, ()) {
  const auto zone_count = *rc::gen::inRange<std::size_t>(2, 5);
  ZoneWorld world = random_history(zone_count);
  const std::vector<Operation> operations = world.pool();
  // Payloads over payload_size_max are not kept: the node parses them for itself.
  PayloadCache cache({.entries_max = *rc::gen::inRange<std::size_t>(1, 8),
                      .payload_size_max = *rc::gen::element<std::size_t>(64, 512, 1 << 20)});
  const auto uncached = merged(operations, world);
  RC_ASSERT(merged(operations, world, &cache) == uncached);
  RC_ASSERT(merged(shuffled(operations), world, &cache) == uncached);
  RC_CLASSIFY(cache.size() > 0, "payloads came from the cache");
}

RC_GTEST_PROP(ReplicationProperty, ADeleteIsNeverUndoneByAnOlderOperation, ()) {
  ZoneWorld world{{any_application}};
  world.add_zone("zone1");
  world.add_zone("zone2");
  world.put(0, app("app1", "zone1", 1, {"zone1", "zone2"}));
  world.sync_all();
  const auto edits = *rc::gen::inRange(0, 5);
  for (int i = 0; i < edits; i++) {
    const std::size_t zone = static_cast<std::size_t>(i % 2);
    world.put(zone, with_zone_entry(*local(world, zone), "zone" + std::to_string(zone + 1), i + 2));
    world.sync_all();
  }
  world.remove(0, "default/app1");
  const std::vector<Operation> history = world.pool();
  // Every operation older than the delete, in any order, before or after it.
  const auto order = shuffled(history);
  const auto result = merged(order, world);
  RC_ASSERT(result.count("app1") == 1u);
  RC_ASSERT(result.at("app1").find("\"deleted\":true") != std::string::npos);
}

RC_GTEST_PROP(ReplicationProperty, ExactlyOneOwnerOnceAllOperationsAreSeen, ()) {
  const auto zone_count = *rc::gen::inRange<std::size_t>(2, 6);
  ZoneWorld world = random_history(zone_count);
  world.sync_all();
  for (const auto& name : {"app0", "app1", "app2"}) {
    std::set<std::string> owners;
    for (std::size_t zone = 0; zone < world.size(); zone++) {
      const auto object = replicated(world, zone, name);
      if (!object) continue;
      owners.insert(object->deleted ? "(deleted)" : object->owner_zone);
      const Json* copy = local(world, zone, name);
      if (!object->deleted) {
        RC_ASSERT(copy != nullptr);
        RC_ASSERT(owner_of(*copy) == object->owner_zone);
      }
    }
    RC_ASSERT(owners.size() <= 1u);
  }
}

}  // namespace
}  // namespace mesh::engine
