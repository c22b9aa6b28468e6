#include "config/key_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mesh::config {

namespace {

// Key files are tiny; anything larger is certainly not a key and is refused before reading.
constexpr std::size_t key_file_size_max = 4096;

}  // namespace

Result<engine::SecretSeed, KeyFileFailure> load_private_key(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return fail(KeyFileError::unreadable,
                path + ": cannot read private key file: " + std::strerror(errno));
  }
  std::string text(key_file_size_max + 1, '\0');
  stream.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(stream.gcount()));
  if (text.size() > key_file_size_max) {
    return fail(KeyFileError::malformed, path + ": not a private key file (larger than " +
                                             std::to_string(key_file_size_max) + " bytes)");
  }
  auto seed = engine::parse_secret_seed_hex(text);
  sodium_memzero(text.data(), text.size());
  if (!seed.ok()) {
    return fail(KeyFileError::malformed, path + ": " + seed.error().message);
  }
  return std::move(seed).value();
}

Result<engine::SecretSeed, KeyFileFailure> parse_private_key_environment(const std::string& value) {
  auto seed = engine::parse_secret_seed_hex(value);
  if (!seed.ok()) {
    return fail(KeyFileError::malformed,
                "environment variable PRIVATE_KEY: " + seed.error().message);
  }
  return std::move(seed).value();
}

engine::SecretSeed generate_secret_seed() {
  engine::crypto_init();
  std::array<std::uint8_t, engine::secret_seed_size> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  engine::SecretSeed seed(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  return seed;
}

Result<void, KeyFileFailure> write_private_key(const std::string& path,
                                               const engine::SecretSeed& seed) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return fail(KeyFileError::exists,
                  path + ": already exists; refusing to overwrite a private key");
    }
    return fail(KeyFileError::unwritable, path + ": cannot create: " + std::strerror(errno));
  }
  std::string text = seed.hex() + "\n";
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      ::unlink(path.c_str());
      sodium_memzero(text.data(), text.size());
      return fail(KeyFileError::unwritable, path + ": cannot write: " + reason);
    }
    written += static_cast<std::size_t>(n);
  }
  sodium_memzero(text.data(), text.size());
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return fail(KeyFileError::unwritable, path + ": cannot flush: " + std::strerror(errno));
  }
  return {};
}

}  // namespace mesh::config
