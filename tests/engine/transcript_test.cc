// Golden transcripts of the engine's protocol: handshake, sync and membership.
#include <gtest/gtest.h>

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
                         ::testing::Values("handshake", "sync", "membership", "relay"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace mesh::test
