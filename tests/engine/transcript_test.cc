// Golden transcripts of the engine's protocol: handshake, sync, membership and relaying.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "tests/engine/transcript_env.h"

namespace mesh::test {
namespace {

const std::filesystem::path testdata =
    std::filesystem::path(MESH_SOURCE_DIR) / "tests" / "engine" / "testdata";

class Transcript : public ::testing::TestWithParam<std::string> {};

TEST_P(Transcript, MatchesTheGoldenFile) {
  TranscriptEnv env;
  run_transcript((testdata / (GetParam() + ".txt")).string(),
                 [&](const TranscriptCommand& command) { return env.handle(command); });
}

INSTANTIATE_TEST_SUITE_P(Engine, Transcript,
                         ::testing::Values("handshake", "sync", "membership", "relay",
                                           "liveness-relay"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace mesh::test
