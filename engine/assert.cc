#include "engine/assert.h"

#include <cstdio>
#include <cstdlib>

namespace mesh::internal {

void assert_fail(const char* condition, const char* file, int line) {
  // stderr is unbuffered; abort() keeps the core dump and the stack for the debugger.
  std::fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, condition);
  std::abort();
}

}  // namespace mesh::internal
