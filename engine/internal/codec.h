// Writer and Reader: the byte-level codec under engine/wire.h and engine/operation.h.
//
// Fixed-width little-endian integers, 32-byte digests and keys, and u32-length-prefixed byte
// strings. Fixed widths keep every encoding canonical (one byte string per value), which
// signatures and operation hashes rely on. Unsigned LEB128 varints, for messages that are
// neither signed nor hashed and are sent often enough that their size matters (the compact
// liveness form), are canonical too: the reader refuses a padded or overflowing encoding. The
// Reader never reads past its input: every read checks the remaining length and reports the
// field it was reading.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "engine/bytes.h"
#include "engine/result.h"

namespace mesh::engine::internal {

enum class CodecError {
  truncated,      // fewer bytes than the field needs
  too_large,      // a length or count above its limit
  invalid,        // a value outside its domain (unknown enum, bad flag)
  trailing_bytes  // bytes left after a complete message
};

using CodecFailure = Error<CodecError>;

// The `size`-byte little-endian integer at `bytes` (the caller has checked the bounds).
inline std::uint64_t load_little_endian(const std::uint8_t* bytes, std::size_t size) {
  MESH_ASSERT(size <= sizeof(std::uint64_t));
  std::uint64_t value = 0;
  for (std::size_t index = 0; index < size; index++) {
    value |= static_cast<std::uint64_t>(bytes[index]) << (8 * index);
  }
  return value;
}

inline constexpr std::size_t varint_size_max = 10;  // ceil(64 / 7)

// Writes `value` as an unsigned LEB128 varint at `out` (room for varint_size_max bytes): seven
// bits per byte, low bits first, the high bit set on all but the last. Returns its size.
inline std::size_t store_varint(std::uint64_t value, std::uint8_t* out) {
  std::size_t size = 0;
  while (value >= 0x80) {
    out[size++] = static_cast<std::uint8_t>(value | 0x80);
    value >>= 7;
  }
  out[size++] = static_cast<std::uint8_t>(value);
  MESH_ASSERT(size <= varint_size_max);
  return size;
}

// Writes `value` as `size` little-endian bytes at `out`.
inline void store_little_endian(std::uint64_t value, std::uint8_t* out, std::size_t size) {
  MESH_ASSERT(size <= sizeof(std::uint64_t));
  for (std::size_t index = 0; index < size; index++) {
    out[index] = static_cast<std::uint8_t>(value >> (8 * index));
  }
}

class Writer {
 public:
  explicit Writer(Bytes& out) : out_(out) {}

  void u8(std::uint8_t value) { out_.push_back(value); }
  void u16(std::uint16_t value) { little_endian(value, 2); }
  void u32(std::uint32_t value) { little_endian(value, 4); }
  void u64(std::uint64_t value) { little_endian(value, 8); }
  void i64(std::int64_t value) { little_endian(static_cast<std::uint64_t>(value), 8); }
  template <std::size_t N>
  void fixed(const std::array<std::uint8_t, N>& bytes) {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
  }
  void raw(ByteView bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  // store_varint's encoding, assembled on the stack and appended at once.
  void varint(std::uint64_t value) {
    std::array<std::uint8_t, varint_size_max> encoded;
    const std::size_t size = store_varint(value, encoded.data());
    out_.insert(out_.end(), encoded.begin(), encoded.begin() + static_cast<std::ptrdiff_t>(size));
  }
  void bytes(ByteView bytes) {
    MESH_ASSERT(bytes.size() <= UINT32_MAX);
    u32(static_cast<std::uint32_t>(bytes.size()));
    raw(bytes);
  }
  void string(std::string_view text) { bytes(as_bytes(text)); }
  std::size_t size() const { return out_.size(); }

 private:
  // Grows once per field rather than once per byte: the codec writes every liveness entry
  // of every heartbeat through here.
  void little_endian(std::uint64_t value, int size) {
    MESH_ASSERT(size > 0 && size <= 8);
    const std::size_t at = out_.size();
    out_.resize(at + static_cast<std::size_t>(size));
    store_little_endian(value, out_.data() + at, static_cast<std::size_t>(size));
  }
  Bytes& out_;
};

class Reader {
 public:
  explicit Reader(ByteView input) : input_(input) {}

  std::size_t remaining() const { return input_.size() - offset_; }
  std::size_t offset() const { return offset_; }

  Result<std::uint8_t, CodecFailure> u8(const char* field) {
    MESH_TRY(const ByteView view, take(1, field));
    return view[0];
  }
  Result<std::uint16_t, CodecFailure> u16(const char* field) {
    MESH_TRY(const std::uint64_t value, little_endian(2, field));
    return static_cast<std::uint16_t>(value);
  }
  Result<std::uint32_t, CodecFailure> u32(const char* field) {
    MESH_TRY(const std::uint64_t value, little_endian(4, field));
    return static_cast<std::uint32_t>(value);
  }
  Result<std::uint64_t, CodecFailure> u64(const char* field) { return little_endian(8, field); }
  Result<std::int64_t, CodecFailure> i64(const char* field) {
    MESH_TRY(const std::uint64_t value, little_endian(8, field));
    return static_cast<std::int64_t>(value);
  }
  // An unsigned LEB128 varint (Writer::varint) in its shortest form: at most 10 bytes, no
  // value above 2^64 - 1, and no final zero byte after the first (a padded encoding).
  Result<std::uint64_t, CodecFailure> varint(const char* field) {
    std::uint64_t value = 0;
    if (try_varint(value)) [[likely]] return value;
    return bad_varint(field);
  }
  // varint() without an error value, for hot loops: false, with the position unchanged,
  // where varint() fails (call it then for the error). A liveness entry has two varints.
  bool try_varint(std::uint64_t& value) {
    const std::uint8_t* const bytes = input_.data() + offset_;
    const std::size_t size_max = std::min<std::size_t>(remaining(), varint_size_max);
    value = 0;
    for (std::size_t index = 0; index < size_max; index++) {
      const std::uint8_t byte = bytes[index];
      value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * index);
      if (byte < 0x80) {
        const bool padded = byte == 0 && index > 0;
        const bool overflows = index == varint_size_max - 1 && byte > 1;
        if (padded || overflows) [[unlikely]] return false;
        offset_ += index + 1;
        return true;
      }
    }
    return false;
  }
  // u64() and fixed() without an error value, for the same hot loops: false, with the
  // position unchanged, where those fail.
  bool try_u64(std::uint64_t& value) {
    if (remaining() < 8) [[unlikely]] return false;
    value = load_little_endian(input_.data() + offset_, 8);
    offset_ += 8;
    return true;
  }
  template <std::size_t N>
  bool try_fixed(std::array<std::uint8_t, N>& out) {
    if (remaining() < N) [[unlikely]] return false;
    std::memcpy(out.data(), input_.data() + offset_, N);
    offset_ += N;
    return true;
  }
  template <std::size_t N>
  Result<std::array<std::uint8_t, N>, CodecFailure> fixed(const char* field) {
    MESH_TRY(const ByteView view, take(N, field));
    std::array<std::uint8_t, N> out{};
    std::memcpy(out.data(), view.data(), N);
    return out;
  }
  // A u32-length-prefixed byte string of at most `size_max` bytes, borrowed from the input.
  Result<ByteView, CodecFailure> bytes(const char* field, std::size_t size_max) {
    MESH_TRY(const std::uint32_t size, u32(field));
    if (size > size_max) {
      return fail(CodecError::too_large, std::string(field) + ": length " + std::to_string(size) +
                                             " exceeds " + std::to_string(size_max));
    }
    return take(size, field);
  }
  // `size` bytes borrowed from the input: one bounds check for a run of fixed-size items.
  Result<ByteView, CodecFailure> block(std::size_t size, const char* field) {
    return take(size, field);
  }
  Result<std::string, CodecFailure> string(const char* field, std::size_t size_max) {
    MESH_TRY(const ByteView view, bytes(field, size_max));
    return std::string(as_text(view));
  }
  // A count of items that each take at least `item_size_min` bytes: checked against the
  // limit and against the bytes left, so a forged count cannot make us reserve memory.
  Result<std::size_t, CodecFailure> count(const char* field, std::size_t count_max,
                                          std::size_t item_size_min) {
    MESH_TRY(const std::uint32_t value, u32(field));
    if (value > count_max) {
      return fail(CodecError::too_large, std::string(field) + ": count " + std::to_string(value) +
                                             " exceeds " + std::to_string(count_max));
    }
    if (item_size_min > 0 && value > remaining() / item_size_min) {
      return fail(CodecError::truncated, std::string(field) + ": count " + std::to_string(value) +
                                             " needs more than the " + std::to_string(remaining()) +
                                             " bytes left");
    }
    return static_cast<std::size_t>(value);
  }
  Result<void, CodecFailure> expect_end(const char* what) const {
    if (remaining() != 0) {
      return fail(CodecError::trailing_bytes,
                  std::string(what) + ": " + std::to_string(remaining()) + " trailing bytes");
    }
    return {};
  }

 private:
  Result<ByteView, CodecFailure> take(std::size_t size, const char* field) {
    if (size > remaining()) [[unlikely]] return truncated(size, field);
    const ByteView view = input_.subspan(offset_, size);
    offset_ += size;
    return view;
  }
  // Out of line and cold, so that take(), called for every field of every message, stays
  // small enough to inline.
  [[gnu::cold, gnu::noinline]] Unexpected<CodecFailure> truncated(std::size_t size,
                                                                  const char* field) const {
    return fail(CodecError::truncated, std::string(field) + ": needs " + std::to_string(size) +
                                           " bytes at offset " + std::to_string(offset_) + ", " +
                                           std::to_string(remaining()) + " left");
  }
  // Why the varint at the offset does not decode (try_varint returned false there).
  [[gnu::cold, gnu::noinline]] Unexpected<CodecFailure> bad_varint(const char* field) const {
    const std::uint8_t* const bytes = input_.data() + offset_;
    const std::size_t size_max = std::min<std::size_t>(remaining(), varint_size_max);
    for (std::size_t index = 0; index < size_max; index++) {
      if (bytes[index] >= 0x80) continue;
      const char* const why = bytes[index] == 0 ? ": varint not in its shortest form"
                                                : ": varint above 2^64 - 1";
      return fail(CodecError::invalid, std::string(field) + why + " at offset " +
                                           std::to_string(offset_));
    }
    if (size_max < varint_size_max) return truncated(size_max + 1, field);
    return fail(CodecError::invalid, std::string(field) + ": varint longer than " +
                                         std::to_string(varint_size_max) + " bytes at offset " +
                                         std::to_string(offset_));
  }
  Result<std::uint64_t, CodecFailure> little_endian(std::size_t size, const char* field) {
    MESH_TRY(const ByteView view, take(size, field));
    return load_little_endian(view.data(), size);
  }

  ByteView input_;
  std::size_t offset_ = 0;
};

}  // namespace mesh::engine::internal
