// The transcript interpreter for engine nodes (tests/engine/testdata/*.txt).
//
// Commands:
//   add-nodes N [bootstrap=I] [trace=on] [liveness=on] [suspect=5s] [unavailable=30s]
//             [network=NAME] [snapshot-max-log=N] [relay=all|sparse]
//   start I... | stop I | pause I | resume I        (stop = graceful; pause = silent)
//   block I J | unblock I J | isolate I | heal
//   publish I KEY VALUE                              (a data operation authored by I)
//   run DURATION                                     (e.g. 250ms, 3s; prints the events)
//   stabilize                                        (runs until every reachable pair of
//                                                     running nodes holds the same logs)
//   state                                            (connections, log heights, peer states)
// Output: one line per event, "t=<ms> nI <level>: <text>", keys replaced by node names, in
// virtual time, so files are stable across runs and machines.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/support/datadriven.h"
#include "tests/support/test_net.h"

namespace mesh::test {

class TranscriptEnv {
 public:
  TranscriptEnv();
  std::string handle(const TranscriptCommand& command);

 private:
  std::string add_nodes(const TranscriptCommand& command);
  std::string run(Duration duration);
  std::string stabilize();
  std::string state();
  std::string publish(const TranscriptCommand& command);
  std::string take_output();
  std::string names(std::string text) const;
  bool stable() const;
  std::size_t index(const std::string& text) const;

  TestNet net_;
  Instant start_;
  bool show_liveness_ = false;
  std::vector<engine::Config> configs_;
  std::vector<std::string> lines_;
  std::map<std::string, std::string> short_names_;  // short hex -> nI
  std::set<std::size_t> stopped_;
};

}  // namespace mesh::test
