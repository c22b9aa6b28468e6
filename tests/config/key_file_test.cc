#include "config/key_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace mesh::config {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view seed_hex =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

fs::path temp_path(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "mesh-key-file-test";
  fs::create_directories(dir);
  const fs::path path = dir / name;
  fs::remove(path);
  return path;
}

TEST(KeyFile, LoadsHexWithTrailingNewline) {
  const fs::path path = temp_path("newline.hex");
  std::ofstream(path) << seed_hex << "\n";
  const auto seed = load_private_key(path.string());
  ASSERT_TRUE(seed.ok()) << seed.error().message;
  EXPECT_EQ(seed->hex(), seed_hex);
}

TEST(KeyFile, MissingFileNamesThePath) {
  const auto seed = load_private_key("/nonexistent/key.hex");
  ASSERT_FALSE(seed.ok());
  EXPECT_EQ(seed.error().code, KeyFileError::unreadable);
  EXPECT_NE(seed.error().message.find("/nonexistent/key.hex"), std::string::npos);
}

TEST(KeyFile, MalformedContentNamesPathAndProblem) {
  const fs::path path = temp_path("short.hex");
  std::ofstream(path) << "abcd\n";
  const auto seed = load_private_key(path.string());
  ASSERT_FALSE(seed.ok());
  EXPECT_EQ(seed.error().code, KeyFileError::malformed);
  EXPECT_NE(seed.error().message.find(path.string() + ": private key: expected 64"),
            std::string::npos)
      << seed.error().message;
}

TEST(KeyFile, DerFileInsteadOfHexIsRefused) {
  // A common slip: passing the raw DER output of `openssl genpkey` instead of its hex.
  const fs::path path = temp_path("key.der");
  std::ofstream(path, std::ios::binary) << std::string("\x30\x2e\x02\x01\x00\x30\x05", 7);
  const auto seed = load_private_key(path.string());
  ASSERT_FALSE(seed.ok());
  EXPECT_EQ(seed.error().code, KeyFileError::malformed);
}

TEST(KeyFile, WriteCreatesMode0600AndRoundTrips) {
  const fs::path path = temp_path("written.hex");
  const engine::SecretSeed seed = generate_secret_seed();
  ASSERT_TRUE(write_private_key(path.string(), seed).ok());
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const auto loaded = load_private_key(path.string());
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->hex(), seed.hex());
}

TEST(KeyFile, WriteRefusesToOverwrite) {
  const fs::path path = temp_path("existing.hex");
  std::ofstream(path) << seed_hex;
  const auto written = write_private_key(path.string(), generate_secret_seed());
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, KeyFileError::exists);
  EXPECT_EQ(load_private_key(path.string())->hex(), seed_hex);
}

TEST(KeyFile, GeneratedSeedsDiffer) {
  EXPECT_NE(generate_secret_seed().hex(), generate_secret_seed().hex());
}

TEST(KeyFile, EnvironmentKeyErrorNamesTheVariable) {
  const auto seed = parse_private_key_environment("xyz");
  ASSERT_FALSE(seed.ok());
  EXPECT_NE(seed.error().message.find("environment variable PRIVATE_KEY"), std::string::npos);
}

}  // namespace
}  // namespace mesh::config
