// Properties over random operation sequences (writes, applies, deletes, finalizers, watches,
// bookmarks, compaction, drops, failure rules, conflicts, pauses):
// - the same seed and operations give identical transcripts (objects, versions, uids, events);
// - an informer (list, watch from the list's version, resume from the last version seen,
//   relist on 410) always ends with exactly the server's state, seeing strictly increasing
//   resourceVersions within each watch.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <ostream>

#include "kube_sim/api_server.h"
#include "tests/kube_sim/test_support.h"

namespace mesh::kube_sim {
namespace {

using namespace testing;

struct Op {
  int kind = 0;     // which operation, see Driver::step
  int name = 0;     // object name index, also picks the namespace
  int manager = 0;  // field manager / zone index
  int value = 0;
  bool flag = false;
};

// Kinds past the last operation are creates, so that enough objects exist to act on.
constexpr int op_kind_count = 24;
constexpr int op_kind_create_from = 18;

std::ostream& operator<<(std::ostream& out, const Op& op) {
  return out << "{kind " << op.kind << ", name " << op.name << ", manager " << op.manager
             << ", value " << op.value << ", flag " << op.flag << "}";
}

rc::Gen<Op> gen_op() {
  return rc::gen::build<Op>(rc::gen::set(&Op::kind, rc::gen::inRange(0, op_kind_count)),
                            rc::gen::set(&Op::name, rc::gen::inRange(0, 3)),
                            rc::gen::set(&Op::manager, rc::gen::inRange(0, 3)),
                            rc::gen::set(&Op::value, rc::gen::inRange(0, 5)),
                            rc::gen::set(&Op::flag, rc::gen::arbitrary<bool>()));
}

std::string text(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Applies operations to one server; every result is appended to a transcript.
class Driver {
 public:
  explicit Driver(Options options) : server_(make_server(std::move(options))) {}

  ApiServer& server() { return server_; }
  const std::string& transcript() const { return transcript_; }

  void step(const Op& op) {
    transcript_ += "op " + std::to_string(op.kind) + "\n";
    if (op.kind >= op_kind_create_from) {
      step_write(Op{0, op.name, op.manager, op.value, op.flag});
    } else if (op.kind < 11) {
      step_write(op);
    } else {
      step_fault(op);
    }
  }

  template <typename T>
  void note(const ApiResult<T>& result) {
    if (result.ok()) return;
    transcript_ += "  error " + std::to_string(result.error().http_code()) + " " +
                   result.error().message + "\n";
  }
  void note(const ApiResult<json>& result) {
    if (!result.ok()) return note<json>(result);
    transcript_ += "  ok " + text(*result) + "\n";
  }

 private:
  static ObjectKey key(const Op& op) {
    static const char* const names[] = {"a", "b", "c"};
    return app_key(names[op.name], op.manager == 2 ? "other" : "default");
  }
  static std::string manager(const Op& op) { return "m" + std::to_string(op.manager); }
  static WriteOptions by(const Op& op) { return {.field_manager = manager(op), .force = op.flag}; }

  json current_or_new(const Op& op) {
    const auto got = server_.get(key(op));
    json object = got.ok() ? *got : make_app(key(op).name);
    if (op.flag && got.ok()) object["metadata"]["resourceVersion"] = "2";  // stale on purpose
    return object;
  }

  json zones(const Op& op) const {
    json configuration = make_app(key(op).name);
    configuration.erase("spec");
    json entries = json::array();
    if (!op.flag) entries.push_back({{"zoneId", manager(op)}, {"version", op.value}});
    configuration["status"] = {{"zones", entries}};
    return configuration;
  }

  void step_write(const Op& op) {
    const ObjectKey object_key = key(op);
    const std::string label = op.value % 2 == 0 ? "web" : "db";
    switch (op.kind) {
      case 0: {
        json object = make_app(object_key.name, op.value, {{"app", label}});
        if (op.flag) object["metadata"] = {{"generateName", "gen-"}};
        note(server_.create(apps(), object_key.namespace_name, object, by(op)));
        return;
      }
      case 1: {
        json object = current_or_new(op);
        object["spec"]["zones"] = op.value;
        note(server_.update(object_key, object, by(op)));
        return;
      }
      case 2: {
        const json patch = {{"spec", {{"zones", op.value}}},
                            {"metadata", {{"labels", {{"app", label}}}}}};
        note(server_.patch(object_key, PatchType::merge, patch, by(op)));
        return;
      }
      case 3: note(server_.update_status(object_key, zones(op), by(op))); return;
      case 4: note(server_.apply(object_key, make_app(object_key.name, op.value), by(op))); return;
      case 5: note(server_.apply_status(object_key, zones(op), by(op))); return;
      case 6: {
        const DeleteOptions options{.resource_version = op.flag ? "2" : ""};
        const auto removed = server_.remove(object_key, options);
        note(removed);
        if (removed.ok()) transcript_ += "  deleted " + text(removed->object) + "\n";
        return;
      }
      case 7: {
        const json finalizers = {"x.io/" + manager(op)};
        note(server_.patch(object_key, PatchType::merge,
                           {{"metadata", {{"finalizers", finalizers}}}}, by(op)));
        return;
      }
      case 8:
        note(server_.patch(object_key, PatchType::merge, {{"metadata", {{"finalizers", nullptr}}}},
                           by(op)));
        return;
      case 9: note(server_.remove({namespaces(), "", "other"})); return;
      default: note(server_.list({.resource = apps(), .label_selector = "app=" + label})); return;
    }
  }

  void step_fault(const Op& op) {
    switch (op.kind) {
      case 11:
        server_.set_time(server_.time() + Duration::from_seconds(op.value + 1));
        server_.emit_bookmarks();
        return;
      case 12: server_.compact_history(); return;
      case 13: server_.drop_all_watches(op.flag ? WatchDrop::gone_error : WatchDrop::close); return;
      case 14: {
        const FailureRule rule{.verb = static_cast<Verb>(op.value % 7),
                               .failure = static_cast<FailureCode>(op.manager),
                               .probability_ppm = op.flag ? 500'000u : 1'000'000u};
        (void)server_.add_failure_rule(rule);
        return;
      }
      case 15: (void)server_.inject_conflict({key(op), op.flag}); return;
      case 16:
        if (op.flag) server_.pause();
        if (!op.flag) server_.resume();
        return;
      default: note(server_.get(key(op))); return;
    }
  }

  ApiServer server_;
  std::string transcript_;
};

// Watches that record every event into the transcript and reopen when closed.
class Recorder {
 public:
  void open(Driver& driver) {
    const std::vector<WatchRequest> requests = {
        {.resource = apps(), .allow_bookmarks = true},
        {.resource = apps(), .namespace_name = "default", .label_selector = "app=web"},
        {.resource = namespaces()}};
    for (const WatchRequest& request : requests) {
      const auto id = driver.server().watch(request);
      driver.note(id);
      if (id.ok()) ids_.push_back(*id);
    }
  }
  std::string drain_all(Driver& driver) {
    std::string out;
    bool closed = false;
    for (const WatchId id : ids_) {
      for (const WatchEvent& event : drain(driver.server(), id)) {
        out += "  w" + std::to_string(id.value) + " " +
               std::string(watch_event_type_name(event.type)) + " " + text(event.object) + "\n";
        closed = closed || event.type == WatchEventType::closed;
      }
    }
    if (closed) {
      ids_.clear();
      open(driver);
    }
    return out;
  }

 private:
  std::vector<WatchId> ids_;
};

std::string run_transcript(std::uint64_t seed, const std::vector<Op>& ops) {
  Driver driver(test_options(seed));
  Recorder recorder;
  recorder.open(driver);
  std::string events;
  for (const Op& op : ops) {
    driver.step(op);
    events += recorder.drain_all(driver);
  }
  std::string out = driver.transcript() + events;
  for (const json& object : driver.server().snapshot(apps())) out += text(object) + "\n";
  for (const RequestCount& count : driver.server().request_counts()) {
    out += std::string(verb_name(count.verb)) + " " + std::to_string(count.http_code) + " " +
           std::to_string(count.count) + "\n";
  }
  return out + std::to_string(driver.server().resource_version());
}

RC_GTEST_PROP(KubeSimProperties, SameSeedAndOperationsGiveIdenticalTranscripts, ()) {
  const auto seed = *rc::gen::inRange<std::uint64_t>(0, 1'000);
  const auto ops = *rc::gen::container<std::vector<Op>>(gen_op());
  const std::string first = run_transcript(seed, ops);
  RC_ASSERT(first == run_transcript(seed, ops));
}

// A minimal informer, as client-go's reflector behaves: list, watch from the list's version,
// resume from the last version seen, relist on 410 or when a resume is refused.
class Informer {
 public:
  bool sync(ApiServer& server) {
    for (int round = 0; round < 4; round++) {
      if (!watch_.has_value() && !start(server)) return false;
      if (!drain_events(server)) return false;
      if (watch_.has_value()) return true;
    }
    return false;
  }
  const std::map<std::string, json>& cache() const { return cache_; }

 private:
  static std::string key_of(const json& object) {
    return object["metadata"]["namespace"].get<std::string>() + "/" +
           object["metadata"]["name"].get<std::string>();
  }

  bool start(ApiServer& server) {
    for (int attempt = 0; attempt < 2; attempt++) {
      if (version_.empty() && !relist(server)) return false;
      const auto id =
          server.watch({.resource = apps(), .resource_version = version_, .allow_bookmarks = true});
      if (id.ok()) {
        watch_ = *id;
        return true;
      }
      if (id.error().reason != StatusReason::gone) return false;
      version_.clear();
    }
    return false;
  }

  bool relist(ApiServer& server) {
    const auto list = server.list({.resource = apps()});
    if (!list.ok()) return false;
    cache_.clear();
    for (const json& item : list->items) cache_[key_of(item)] = item;
    version_ = list->resource_version;
    return true;
  }

  // False when the stream broke the informer's invariants.
  bool drain_events(ApiServer& server) {
    std::uint64_t last = std::stoull(version_);
    while (auto event = server.poll_watch(*watch_)) {
      if (event->type == WatchEventType::closed) {
        watch_.reset();
        return true;
      }
      if (event->type == WatchEventType::error) {
        version_.clear();
        continue;
      }
      const std::uint64_t version = rv_number(event->object);
      if (version <= last && event->type != WatchEventType::bookmark) return false;
      if (version < last) return false;
      last = version;
      version_ = std::to_string(version);
      if (event->type == WatchEventType::deleted) cache_.erase(key_of(event->object));
      if (event->type == WatchEventType::added || event->type == WatchEventType::modified) {
        cache_[key_of(event->object)] = event->object;
      }
    }
    return true;
  }

  std::map<std::string, json> cache_;
  std::string version_;  // the last version seen; empty: relist
  std::optional<WatchId> watch_;
};

RC_GTEST_PROP(KubeSimProperties, InformerSeesIncreasingVersionsAndEndsWithTheServersState, ()) {
  Options options = test_options(*rc::gen::inRange<std::uint64_t>(0, 1'000));
  options.watch_history_max = *rc::gen::inRange<std::size_t>(1, 20);
  options.watch_queue_events_max = *rc::gen::inRange<std::size_t>(1, 20);
  Driver driver(options);
  Informer informer;
  for (const Op& op : *rc::gen::container<std::vector<Op>>(gen_op())) {
    driver.step(op);
    const std::uint64_t version = driver.server().resource_version();
    (void)informer.sync(driver.server());
    RC_ASSERT(driver.server().resource_version() == version);  // reads never write
  }
  driver.server().resume();
  driver.server().clear_failure_rules();
  RC_ASSERT(informer.sync(driver.server()));
  std::string cached;
  for (const auto& [key, object] : informer.cache()) cached += text(object) + "\n";
  std::string stored;
  for (const json& object : driver.server().snapshot(apps())) stored += text(object) + "\n";
  RC_ASSERT(cached == stored);
}

}  // namespace
}  // namespace mesh::kube_sim
