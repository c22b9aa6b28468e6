#include "io_real/commands.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mesh::io_real {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view seed_hex =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view public_hex =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fs::path temp_path(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "mesh-commands-test";
  fs::create_directories(dir);
  fs::remove(dir / name);
  return dir / name;
}

TEST(Commands, KeygenThenPubkeyPrintTheSameKey) {
  const fs::path path = temp_path("k.hex");
  std::ostringstream keygen_out, err;
  ASSERT_EQ(
      command_keygen({.command = Command::keygen, .output_path = path.string()}, keygen_out, err),
      exit_ok)
      << err.str();
  std::ostringstream pubkey_out;
  ASSERT_EQ(command_pubkey({.command = Command::pubkey, .private_key_path = path.string()}, {},
                           pubkey_out, err),
            exit_ok)
      << err.str();
  EXPECT_EQ(keygen_out.str(), pubkey_out.str());
  EXPECT_EQ(pubkey_out.str().size(), 65u);
}

TEST(Commands, PubkeyPrefersPrivateKeyEnvironmentWithoutFlag) {
  std::ostringstream out, err;
  const CommandContext context{
      .environment = {{"PRIVATE_KEY", std::string(seed_hex)}, {"MESH__ZONE", "z"}}};
  ASSERT_EQ(command_pubkey({.command = Command::pubkey}, context, out, err), exit_ok) << err.str();
  EXPECT_EQ(out.str(), std::string(public_hex) + "\n");
}

TEST(Commands, PubkeyOfMalformedFileIsAUsageError) {
  const fs::path path = temp_path("bad.hex");
  std::ofstream(path) << "nothex";
  std::ostringstream out, err;
  EXPECT_EQ(
      command_pubkey({.command = Command::pubkey, .private_key_path = path.string()}, {}, out, err),
      exit_usage);
  EXPECT_NE(err.str().find(path.string()), std::string::npos) << err.str();
}

TEST(Commands, CrdsPrintsBothDefinitions) {
  std::ostringstream out;
  ASSERT_EQ(command_crds(out), exit_ok);
  EXPECT_NE(out.str().find("name: meshpeers.dcp.hiro.io"), std::string::npos);
  EXPECT_NE(out.str().find("name: anyapplications.dcp.hiro.io"), std::string::npos);
  EXPECT_NE(out.str().find("additionalPrinterColumns"), std::string::npos);
}

TEST(Commands, CheckConfigReportsErrorsWithExitTwo) {
  const fs::path path = temp_path("bad.yaml");
  std::ofstream(path) << "mesh:\n  zone: a\nbind_port: x\n";
  std::ostringstream out, err;
  EXPECT_EQ(command_check_config({.command = Command::check_config, .config_path = path.string()},
                                 {}, out, err),
            exit_usage);
  EXPECT_NE(err.str().find(path.string() + ":3: bind_port:"), std::string::npos) << err.str();
}

TEST(Commands, CheckConfigPrintsEffectiveValues) {
  std::ostringstream out, err;
  const std::string path = std::string(MESH_SOURCE_DIR) + "/config.example.yaml";
  ASSERT_EQ(command_check_config({.command = Command::check_config, .config_path = path},
                                 {.environment = {{"BIND_PORT", "9999"}}}, out, err),
            exit_ok)
      << err.str();
  EXPECT_NE(out.str().find("bind_port: 9999"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("zone: zone1"), std::string::npos) << out.str();
}

TEST(Commands, VersionNamesTheProgram) {
  std::ostringstream out;
  ASSERT_EQ(command_version(out), exit_ok);
  EXPECT_TRUE(out.str().starts_with("mesh-controller ")) << out.str();
}

}  // namespace
}  // namespace mesh::io_real
