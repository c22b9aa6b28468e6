// The simulator's virtual network: TCP-like connections between hosts on one virtual clock.
//
// While a path is open, each direction of a connection is an ordered, reliable byte stream:
// a segment is delivered after a sampled latency, never before an earlier segment of the same
// direction, and after the link's bandwidth has carried it. A blocked direction (partition,
// one-way cut) stalls: its segments wait, as TCP's retransmissions would, and are delivered one
// latency after the direction opens again, unless an endpoint closes the connection first.
// Connection setup needs both directions open: a dial to a blocked host times out, a dial to an
// unknown address or a down host is refused. Everything is deterministic given the seed.
//
// Pending work is kept small: one queue per direction, and a heap holding at most the head of
// each non-stalled direction, so the cost of an event does not grow with the bytes in flight.
//
// Inputs: connect, send, close, reset; faults (block, unblock, host down/up, latency models).
// Outputs: NetEvents popped in time order by the world that owns the hosts.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "engine/bytes.h"
#include "engine/prng.h"
#include "engine/time.h"
#include "io_sim/latency.h"

namespace mesh::io_sim {

using HostId = std::size_t;
// A connection endpoint: the host and the number it knows the connection by.
using ConnectionToken = std::uint64_t;

struct NetEvent {
  enum class Kind {
    connected,  // our dial succeeded
    refused,    // our dial failed (refused or timed out)
    accepted,   // a peer dialed us; `remote` is its address
    data,       // bytes arrived
    closed,     // the peer closed, or the connection was reset
  };
  Kind kind = Kind::data;
  Instant at;
  HostId host = 0;
  ConnectionToken token = 0;  // for accepted: the new token the network assigned
  std::string remote;
  std::string reason;
  Bytes bytes;
};

struct NetworkStats {
  std::uint64_t segments_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t segments_delivered = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_refused = 0;
  std::uint64_t resets = 0;
};

class Network {
 public:
  explicit Network(std::uint64_t seed);

  HostId add_host(const std::string& address);
  std::optional<HostId> resolve(const std::string& address) const;
  const std::string& address(HostId host) const { return hosts_.at(host).address; }

  void set_default_latency(const LatencyModel& model) { default_latency_ = model; }
  void set_latency(HostId a, HostId b, const LatencyModel& model);  // both directions
  // Bytes per second in each direction between a and b; 0 = unlimited.
  void set_bandwidth(HostId a, HostId b, std::uint64_t bytes_per_second);
  Duration connect_timeout = Duration::from_seconds(3);

  // Cuts the path from `from` to `to` (one direction); both directions for a full cut.
  void block(HostId from, HostId to);
  void unblock(Instant now, HostId from, HostId to);
  bool blocked(HostId from, HostId to) const;
  void heal(Instant now);
  // A host whose process is gone: dials to it are refused, its connections reset.
  void set_host_down(Instant now, HostId host, bool down);

  // Opens a connection from `host` to `address`; the outcome arrives as connected or refused
  // for `token` (chosen by the caller, unique per host).
  void connect(Instant now, HostId host, ConnectionToken token, const std::string& address);
  void send(Instant now, HostId host, ConnectionToken token, Bytes bytes);
  // Graceful close: the peer gets `closed` after the data already sent.
  void close(Instant now, HostId host, ConnectionToken token);
  // Abortive close of every connection of a host (its process crashed: the kernel sends RST).
  void reset_host(Instant now, HostId host);
  // Resets one random established connection (fault injection).
  bool reset_random(Instant now);

  std::optional<Instant> next_event_time() const;
  // The earliest event due at or before `now`, if any.
  std::optional<NetEvent> pop_due(Instant now);

  const NetworkStats& stats() const { return stats_; }
  std::size_t connection_count() const { return connections_.size(); }

 private:
  struct Segment {
    Instant at;
    Bytes bytes;
    bool fin = false;  // the sender closed after these bytes
  };
  struct Direction {
    HostId from = 0;
    HostId to = 0;
    ConnectionToken to_token = 0;
    std::deque<Segment> segments;
    Instant free_at;       // when the link finishes serializing what was queued
    Instant delivered_at;  // the last delivery: later segments never overtake it
    bool scheduled = false;
  };
  struct Connection {
    Direction forward;   // dialer -> acceptor
    Direction backward;  // acceptor -> dialer
    bool established = false;
    Instant connected_at;  // when the dialer learns that its connect succeeded
  };
  struct Host {
    std::string address;
    bool down = false;
    std::map<ConnectionToken, std::uint64_t> connections;  // token -> connection id
    ConnectionToken next_accept_token = 1ULL << 62;        // apart from dialers' tokens
  };
  struct Scheduled {
    Instant at;
    std::uint64_t sequence = 0;
    std::uint64_t connection = 0;
    bool forward = true;  // which direction's head (or a control event when connection == 0)
    bool operator>(const Scheduled& other) const {
      return at != other.at ? at > other.at : sequence > other.sequence;
    }
  };

  Duration sample_latency(HostId from, HostId to);
  Direction* direction_of(std::uint64_t connection, bool forward);
  void schedule_head(Direction& direction, std::uint64_t connection, bool forward);
  void enqueue(Instant now, std::uint64_t connection, bool forward, Bytes bytes, bool fin);
  void push_control(NetEvent event);
  void drop_connection(std::uint64_t connection);
  void release_stalled(Instant now);

  engine::Prng prng_;
  LatencyModel default_latency_;
  std::map<std::pair<HostId, HostId>, LatencyModel> latency_;
  std::map<std::pair<HostId, HostId>, std::uint64_t> bandwidth_;
  std::set<std::pair<HostId, HostId>> blocked_;
  std::vector<Host> hosts_;
  std::map<std::string, HostId> addresses_;
  std::map<std::uint64_t, Connection> connections_;
  std::uint64_t next_connection_ = 1;
  std::priority_queue<Scheduled, std::vector<Scheduled>, std::greater<>> heads_;
  std::multimap<std::pair<std::int64_t, std::uint64_t>, NetEvent> control_;  // (at, sequence)
  std::uint64_t sequence_ = 0;
  NetworkStats stats_;
};

}  // namespace mesh::io_sim
