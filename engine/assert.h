// MESH_ASSERT: invariant checks that stay on in every build type.
//
// A failed assertion means a programmer error inside this process, so the process stops: an
// engine that continues on corrupt state would replicate the corruption to every peer.
// Never assert on data from a peer, the API server or a file; those are errors as values.
//
//   MESH_ASSERT(frame.size() <= frame_size_max);
//   MESH_DEBUG_ASSERT(is_sorted(log));  // O(n) checks only; compiled out with NDEBUG
#pragma once

namespace mesh::internal {
[[noreturn]] void assert_fail(const char* condition, const char* file, int line);
}  // namespace mesh::internal

#define MESH_ASSERT(condition)                                       \
  do {                                                               \
    if (!(condition)) [[unlikely]] {                                 \
      ::mesh::internal::assert_fail(#condition, __FILE__, __LINE__); \
    }                                                                \
  } while (false)

#ifdef NDEBUG
#define MESH_DEBUG_ASSERT(condition) \
  do {                               \
  } while (false && (condition))
#else
#define MESH_DEBUG_ASSERT(condition) MESH_ASSERT(condition)
#endif

#define MESH_UNREACHABLE() ::mesh::internal::assert_fail("unreachable", __FILE__, __LINE__)
