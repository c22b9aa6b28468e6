// Byte buffers: owned (Bytes) and borrowed (ByteView).
//
// NB: STYLE.md asks for std::byte; we use std::uint8_t because libsodium takes unsigned char
// and nlohmann::json's CBOR codec produces std::vector<std::uint8_t>, so std::byte would mean
// a reinterpret_cast at every library boundary for no gain in safety.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace mesh {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view text) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

inline std::string_view as_text(ByteView bytes) {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace mesh
