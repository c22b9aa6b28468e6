#include "tests/engine/transcript_env.h"

#include <algorithm>

namespace mesh::test {

namespace {

Duration parse_duration(const std::string& text) {
  if (text.ends_with("ms")) return Duration::from_ms(std::stoll(text.substr(0, text.size() - 2)));
  if (text.ends_with("s"))
    return Duration::from_seconds(std::stoll(text.substr(0, text.size() - 1)));
  ADD_FAILURE() << "bad duration " << text;
  return Duration::zero();
}

const char* level_name(engine::EventLevel level) {
  switch (level) {
    case engine::EventLevel::debug: return "debug";
    case engine::EventLevel::info: return "info";
    case engine::EventLevel::warn: return "warn";
    case engine::EventLevel::error: return "error";
  }
  return "?";
}

}  // namespace

TranscriptEnv::TranscriptEnv() : start_(net_.now()) {
  net_.on_event = [this](std::size_t node, Instant at, const engine::Event& event) {
    std::string text;
    if (const auto* log = std::get_if<engine::LogEvent>(&event)) {
      if (!show_liveness_ && log->message.find(" liveness ") != std::string::npos) return;
      text = std::string(level_name(log->level)) + ": " + log->message;
    } else {
      const auto& change = std::get<engine::PeerStateEvent>(event).change;
      text = std::string("peer-state: ") + change.key.short_hex() + " " +
             engine::to_string(change.from) + " -> " + engine::to_string(change.to);
    }
    lines_.push_back("t=" + std::to_string((at - start_).ms()) + "ms n" + std::to_string(node) +
                     " " + text);
  };
}

std::string TranscriptEnv::handle(const TranscriptCommand& command) {
  const auto positional = command.positional();
  const auto node_at = [&](std::size_t i) { return index(positional.at(i)); };
  if (command.name == "add-nodes") return add_nodes(command);
  if (command.name == "start") {
    for (std::size_t i = 0; i < positional.size(); i++) net_.start(node_at(i));
    return take_output();
  }
  if (command.name == "stop") {
    net_.stop(node_at(0));
    stopped_.insert(node_at(0));
    return take_output();
  }
  if (command.name == "pause") net_.pause(node_at(0));
  if (command.name == "resume") net_.resume(node_at(0));
  if (command.name == "block") net_.block(node_at(0), node_at(1));
  if (command.name == "unblock") net_.unblock(node_at(0), node_at(1));
  if (command.name == "isolate") net_.isolate(node_at(0));
  if (command.name == "heal") net_.heal_all();
  if (command.name == "run") return run(parse_duration(positional.at(0)));
  if (command.name == "stabilize") return stabilize();
  if (command.name == "state") return state();
  if (command.name == "publish") return publish(command);
  return take_output();
}

std::string TranscriptEnv::add_nodes(const TranscriptCommand& command) {
  const std::size_t count = std::stoul(command.positional().at(0));
  show_liveness_ = command.option("liveness") == "on";
  for (std::size_t n = 0; n < count; n++) {
    const std::size_t i = net_.size();
    engine::Config config = TestNet::default_config(i);
    if (const std::string bootstrap = command.option("bootstrap"); !bootstrap.empty()) {
      const std::size_t target = index(bootstrap);
      if (target != i) config.bootstrap = {TestNet::bootstrap_to(target)};
    }
    config.trace_messages = command.option("trace") == "on";
    if (const auto s = command.option("suspect"); !s.empty()) {
      config.peer_suspect_after = parse_duration(s);
    }
    if (const auto s = command.option("unavailable"); !s.empty()) {
      config.peer_unavailable_after = parse_duration(s);
    }
    if (const auto s = command.option("network"); !s.empty()) config.network_id = s;
    if (const auto s = command.option("relay"); !s.empty()) {
      const auto relay = engine::relay_mode_from_name(s);
      if (!relay) ADD_FAILURE() << "bad relay mode " << s;
      config.relay = relay.value_or(config.relay);
    }
    if (const auto s = command.option("snapshot-max-log"); !s.empty()) {
      config.snapshot_max_log = std::stoul(s);
    }
    net_.add_node(config);
    short_names_[net_.identity(i).public_key().short_hex()] = "n" + std::to_string(i);
  }
  return "ok";
}

std::string TranscriptEnv::publish(const TranscriptCommand& command) {
  const auto positional = command.positional();
  const std::size_t i = index(positional.at(0));
  const std::string& value = positional.at(2);
  const auto seq = net_.publish(i, positional.at(1), Bytes(value.begin(), value.end()));
  std::string out = take_output();
  return out + (seq.ok() ? "published seq " + std::to_string(*seq) : seq.error().message);
}

std::string TranscriptEnv::run(Duration duration) {
  net_.drive_for(duration);
  return take_output();
}

bool TranscriptEnv::stable() const {
  for (std::size_t a = 0; a < net_.size(); a++) {
    for (std::size_t b = a + 1; b < net_.size(); b++) {
      if (stopped_.count(a) != 0 || stopped_.count(b) != 0) continue;
      auto& net = const_cast<TestNet&>(net_);
      if (net.node(a).logs().heights() != net.node(b).logs().heights()) return false;
    }
  }
  return true;
}

std::string TranscriptEnv::stabilize() {
  const bool done = net_.drive_until([this] { return stable(); }, Duration::from_seconds(60));
  std::string out = take_output();
  return out + (done ? "stable" : "NOT stable within 60s");
}

std::string TranscriptEnv::state() {
  std::string out = take_output();
  for (std::size_t i = 0; i < net_.size(); i++) {
    engine::Node& node = net_.node(i);
    out += "n" + std::to_string(i) + ":";
    out += " connected=[";
    bool first = true;
    for (const auto& peer : node.connected_peers()) {
      out += (first ? "" : " ") + names(peer.short_hex());
      first = false;
    }
    out += "] logs=[";
    first = true;
    for (const auto& height : node.logs().heights()) {
      out += (first ? "" : " ") + names(height.log.author.short_hex()) + ":" +
             std::to_string(height.height) + "/" + std::to_string(height.next_seq);
      first = false;
    }
    out += "] peers=[";
    first = true;
    for (const auto& peer : node.membership().peers()) {
      out += (first ? "" : " ") + names(peer.key.short_hex()) + "=" + engine::to_string(peer.state);
      first = false;
    }
    out += "]\n";
  }
  return out;
}

std::string TranscriptEnv::take_output() {
  std::string out;
  for (const std::string& line : lines_) out += names(line) + "\n";
  lines_.clear();
  return out;
}

std::string TranscriptEnv::names(std::string text) const {
  for (const auto& [hex, name] : short_names_) {
    for (std::size_t at = text.find(hex); at != std::string::npos; at = text.find(hex)) {
      text.replace(at, hex.size(), name);
    }
  }
  return text;
}

std::size_t TranscriptEnv::index(const std::string& text) const {
  return std::stoul(text[0] == 'n' ? text.substr(1) : text);
}

}  // namespace mesh::test
