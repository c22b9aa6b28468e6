// Reading, writing and generating the controller's private key file.
//
// Format: the hex of the 32-byte Ed25519 secret seed (engine/identity.h). Written with mode
// 0600 and never over an existing file, so a slip of `keygen -o` cannot destroy a zone's
// identity.
#pragma once

#include <string>

#include "engine/identity.h"
#include "engine/result.h"

namespace mesh::config {

enum class KeyFileError {
  unreadable,  // cannot open or read the file
  malformed,   // not a 64-hex-digit seed
  exists,      // refusing to overwrite
  unwritable,  // cannot create or write the file
};

using KeyFileFailure = Error<KeyFileError>;

// Reads and parses a key file; the message names the path and what is wrong with it.
Result<engine::SecretSeed, KeyFileFailure> load_private_key(const std::string& path);

// Parses a hex seed from $PRIVATE_KEY; the message names the variable.
Result<engine::SecretSeed, KeyFileFailure> parse_private_key_environment(const std::string& value);

// A new random seed from the operating system's CSPRNG (libsodium randombytes).
engine::SecretSeed generate_secret_seed();

// Writes `seed` as hex plus a newline to a new file with mode 0600.
Result<void, KeyFileFailure> write_private_key(const std::string& path,
                                               const engine::SecretSeed& seed);

}  // namespace mesh::config
