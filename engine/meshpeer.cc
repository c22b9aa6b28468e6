#include "engine/meshpeer.h"

namespace mesh::engine {

namespace {

// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm): the engine may not call
// the C library's time functions, which read the environment's time zone.
void civil_from_days(std::int64_t days, std::int64_t& year, unsigned& month, unsigned& day) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned month_index = (5 * day_of_year + 2) / 153;
  day = day_of_year - (153 * month_index + 2) / 5 + 1;
  month = month_index < 10 ? month_index + 3 : month_index - 9;
  year = static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);
}

std::string two(unsigned value) {
  return std::string(1, static_cast<char>('0' + value / 10)) + static_cast<char>('0' + value % 10);
}

const char* message_for(PeerState state) {
  switch (state) {
    case PeerState::ready: return "Peer is ready";
    case PeerState::not_ready: return "Peer is not ready";
    case PeerState::unavailable: return "Peer is unavailable";
    case PeerState::unknown: return "Peer state is unknown";
  }
  MESH_UNREACHABLE();
}

}  // namespace

std::string rfc3339(WallTime time) {
  const std::int64_t ms_total = time.unix_ms();
  std::int64_t days = ms_total / 86'400'000;
  std::int64_t ms_of_day = ms_total % 86'400'000;
  if (ms_of_day < 0) {
    ms_of_day += 86'400'000;
    days--;
  }
  std::int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
  civil_from_days(days, year, month, day);
  const auto seconds = static_cast<unsigned>(ms_of_day / 1000);
  const auto ms = static_cast<unsigned>(ms_of_day % 1000);
  std::string out = std::to_string(year) + "-" + two(month) + "-" + two(day) + "T" +
                    two(seconds / 3600) + ":" + two(seconds / 60 % 60) + ":" + two(seconds % 60);
  out += "." + std::to_string(ms / 100) + std::to_string(ms / 10 % 10) + std::to_string(ms % 10);
  return out + "Z";
}

MeshPeerWriter::MeshPeerWriter(std::string namespace_name, std::string reporting_instance)
    : namespace_name_(std::move(namespace_name)),
      reporting_instance_(std::move(reporting_instance)) {}

Json MeshPeerWriter::conditions(const Tracked& tracked, const MeshPeerView& peer) const {
  const char* reason = to_string(peer.state);
  return Json::array({{{"type", "Ready"},
                       {"status", tracked.ready_status},
                       {"reason", reason},
                       {"message", message_for(peer.state)},
                       {"lastTransitionTime", rfc3339(tracked.ready_since)},
                       {"observedGeneration", tracked.generation}},
                      {{"type", "Available"},
                       {"status", tracked.available_status},
                       {"reason", reason},
                       {"message", message_for(peer.state)},
                       {"lastTransitionTime", rfc3339(tracked.available_since)},
                       {"observedGeneration", tracked.generation}}});
}

std::vector<KubeRequest> MeshPeerWriter::update(WallTime now, const MeshPeerView& peer,
                                                bool state_changed) {
  Tracked& tracked = tracked_[peer.key];
  const std::string ready = peer.state == PeerState::ready     ? "True"
                            : peer.state == PeerState::unknown ? "Unknown"
                                                               : "False";
  const std::string available = peer.state == PeerState::unavailable ? "False"
                                : peer.state == PeerState::unknown   ? "Unknown"
                                                                     : "True";
  if (tracked.ready_status != ready) {
    tracked.ready_status = ready;
    tracked.ready_since = now;
  }
  if (tracked.available_status != available) {
    tracked.available_status = available;
    tracked.available_since = now;
  }
  tracked.state = peer.state;
  const std::string name = peer.key.hex();
  const Json metadata = {{"name", name}, {"namespace", namespace_name_}};
  Json spec_body = {{"apiVersion", "dcp.hiro.io/v1"},
                    {"kind", "MeshPeer"},
                    {"metadata", metadata},
                    {"spec", {{"identity", {{"publicKey", name}, {"endpoints", peer.endpoints}}}}}};
  Json status = {{"status", to_string(peer.state)},
                 {"updateTime", rfc3339(now)},
                 {"conditions", conditions(tracked, peer)}};
  if (!peer.zone.empty()) {
    status["instance"] = {
        {"zone", peer.zone},
        {"start_time",
         rfc3339(WallTime::from_unix_ms(static_cast<std::int64_t>(peer.incarnation)))},
        {"start_timestamp", peer.incarnation}};
  }
  Json status_body = {{"apiVersion", "dcp.hiro.io/v1"},
                      {"kind", "MeshPeer"},
                      {"metadata", metadata},
                      {"status", status}};
  std::vector<KubeRequest> requests;
  const auto base = [&](KubeVerb verb, KubeKind kind, const char* api_version,
                        const char* kind_name, const std::string& object_name, Json body) {
    return KubeRequest{.verb = verb,
                       .kind = kind,
                       .api_version = api_version,
                       .kind_name = kind_name,
                       .namespace_name = namespace_name_,
                       .name = object_name,
                       .body = std::move(body)};
  };
  requests.push_back(base(KubeVerb::apply, KubeKind::slot(KindSlot::meshpeer), "dcp.hiro.io/v1",
                          "MeshPeer", name, std::move(spec_body)));
  requests.push_back(base(KubeVerb::apply_status, KubeKind::slot(KindSlot::meshpeer),
                          "dcp.hiro.io/v1", "MeshPeer", name, std::move(status_body)));
  if (state_changed) {
    // Unique across restarts: the wall time separates incarnations, the counter events.
    const std::string event_name = name.substr(0, 16) + "." + std::to_string(now.unix_ms()) + "." +
                                   std::to_string(++event_counter_);
    Json event = {{"apiVersion", "v1"},
                  {"kind", "Event"},
                  {"metadata", {{"name", event_name}, {"namespace", namespace_name_}}},
                  {"involvedObject",
                   {{"apiVersion", "dcp.hiro.io/v1"},
                    {"kind", "MeshPeer"},
                    {"name", name},
                    {"namespace", namespace_name_}}},
                  {"reason", "PeerStateChange"},
                  {"message", message_for(peer.state)},
                  {"type", peer.state == PeerState::ready ? "Normal" : "Warning"},
                  {"reportingComponent", "dcp.hiro.io/mesh-controller"},
                  {"reportingInstance", reporting_instance_},
                  {"action", "Processing"},
                  {"eventTime", rfc3339(now)}};
    requests.push_back(base(KubeVerb::create, KubeKind::slot(KindSlot::event), "v1", "Event",
                            event_name, std::move(event)));
  }
  return requests;
}

void MeshPeerWriter::handle_applied(const Json& object) {
  const Json& name = object.is_object() && object.contains("metadata")
                         ? object["metadata"].value("name", Json())
                         : Json();
  if (!name.is_string()) return;
  const auto key = parse_public_key_hex(name.get<std::string>());
  if (!key.ok()) return;
  const auto tracked = tracked_.find(key.value());
  if (tracked == tracked_.end()) return;
  const Json generation = object["metadata"].value("generation", Json());
  if (generation.is_number_integer()) tracked->second.generation = generation.get<std::int64_t>();
}

}  // namespace mesh::engine
