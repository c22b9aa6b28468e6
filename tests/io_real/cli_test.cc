#include "io_real/cli.h"

#include <gtest/gtest.h>

namespace mesh::io_real {
namespace {

TEST(Cli, NoArgumentsRunsTheController) {
  const auto options = parse_cli({});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->command, Command::run);
  EXPECT_FALSE(options->config_path);
}

TEST(Cli, SeedFlagsShortAndLong) {
  const auto options = parse_cli({"-c", "c.yaml", "-k", "k.hex", "-l", "=DEBUG"});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->config_path, "c.yaml");
  EXPECT_EQ(options->private_key_path, "k.hex");
  EXPECT_EQ(options->log_level, "=DEBUG");
  const auto long_form =
      parse_cli({"--config", "c.yaml", "--private-key-path", "k.hex", "--log-level", "info"});
  ASSERT_TRUE(long_form.ok());
  EXPECT_EQ(long_form->config_path, "c.yaml");
  EXPECT_EQ(long_form->private_key_path, "k.hex");
  EXPECT_EQ(long_form->log_level, "info");
}

TEST(Cli, Subcommands) {
  EXPECT_EQ(parse_cli({"keygen", "-o", "k.hex"})->command, Command::keygen);
  EXPECT_EQ(parse_cli({"keygen", "-o", "k.hex"})->output_path, "k.hex");
  EXPECT_EQ(parse_cli({"pubkey", "-k", "k.hex"})->command, Command::pubkey);
  EXPECT_EQ(parse_cli({"pubkey", "-k", "k.hex"})->private_key_path, "k.hex");
  EXPECT_EQ(parse_cli({"crds"})->command, Command::crds);
  EXPECT_EQ(parse_cli({"version"})->command, Command::version);
  EXPECT_EQ(parse_cli({"check-config", "-c", "x.yaml"})->command, Command::check_config);
  EXPECT_EQ(parse_cli({"check-config", "-c", "x.yaml"})->config_path, "x.yaml");
}

TEST(Cli, KeygenWithoutOutputIsAUsageError) {
  const auto options = parse_cli({"keygen"});
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.error().exit_code, exit_usage);
  EXPECT_NE(options.error().text.find("--output"), std::string::npos) << options.error().text;
}

TEST(Cli, UnknownFlagIsAUsageErrorNamingIt) {
  const auto options = parse_cli({"--frobnicate"});
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.error().exit_code, exit_usage);
  EXPECT_NE(options.error().text.find("--frobnicate"), std::string::npos) << options.error().text;
}

TEST(Cli, HelpListsEveryOptionAndSubcommand) {
  const auto options = parse_cli({"--help"});
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.error().exit_code, exit_ok);
  for (const char* expected : {"--config", "--private-key-path", "--log-level", "keygen", "pubkey",
                               "crds", "version", "check-config"}) {
    EXPECT_NE(options.error().text.find(expected), std::string::npos) << expected;
  }
}

TEST(Cli, MissingOptionValueIsAUsageError) {
  const auto options = parse_cli({"-c"});
  ASSERT_FALSE(options.ok());
  EXPECT_EQ(options.error().exit_code, exit_usage);
}

}  // namespace
}  // namespace mesh::io_real
