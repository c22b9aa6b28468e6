// Result<T, E>: a value or an error, for operating errors (bad bytes, bad config, conflicts).
//
// Works like C++23 std::expected, which g++ 12 lacks. Each module names its error codes in an
// enum class and reports failures as Error<Code>{code, message}; the message names the problem
// and the place. Errors travel up with MESH_TRY; nothing here throws.
//
//   Result<Frame, Error<WireError>> decode(ByteView bytes);
//   MESH_TRY(auto frame, decode(bytes));       // returns the error to our caller on failure
//   MESH_TRY_VOID(check_header(frame));
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "engine/assert.h"

namespace mesh {

// An error code of one module plus a human message naming what is wrong and where.
template <typename Code>
struct Error {
  Code code;
  std::string message;
};

// Marks a value as the error alternative so that Result<E, E> stays unambiguous.
template <typename E>
struct Unexpected {
  E error;
};

template <typename E>
Unexpected<std::decay_t<E>> fail(E&& error) {
  return Unexpected<std::decay_t<E>>{std::forward<E>(error)};
}

template <typename Code>
Unexpected<Error<Code>> fail(Code code, std::string message) {
  return Unexpected<Error<Code>>{Error<Code>{code, std::move(message)}};
}

template <typename T, typename E>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  template <typename F>
  Result(Unexpected<F> failure)  // NOLINT: implicit, like std::unexpected
      : storage_(std::in_place_index<1>, std::move(failure.error)) {}

  bool ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const& {
    MESH_ASSERT(ok());
    return std::get<0>(storage_);
  }
  T& value() & {
    MESH_ASSERT(ok());
    return std::get<0>(storage_);
  }
  T&& value() && {
    MESH_ASSERT(ok());
    return std::get<0>(std::move(storage_));
  }
  const E& error() const& {
    MESH_ASSERT(!ok());
    return std::get<1>(storage_);
  }
  E&& error() && {
    MESH_ASSERT(!ok());
    return std::get<1>(std::move(storage_));
  }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, E> storage_;
};

// The value-less result: success, or an error.
template <typename E>
class [[nodiscard]] Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Result() = default;
  template <typename F>
  Result(Unexpected<F> failure)  // NOLINT: implicit, like std::unexpected
      : has_error_(true), error_(std::move(failure.error)) {}

  bool ok() const { return !has_error_; }
  explicit operator bool() const { return ok(); }
  void value() const { MESH_ASSERT(ok()); }
  const E& error() const& {
    MESH_ASSERT(!ok());
    return error_;
  }
  E&& error() && {
    MESH_ASSERT(!ok());
    return std::move(error_);
  }

 private:
  bool has_error_ = false;
  E error_{};
};

}  // namespace mesh

#define MESH_CONCAT_INNER(a, b) a##b
#define MESH_CONCAT(a, b) MESH_CONCAT_INNER(a, b)

// MESH_TRY(declaration, expression): evaluates a Result; on error returns it from the enclosing
// function, else binds the value. Statement form because statement expressions are a GNU
// extension that -Wpedantic rejects. It expands to several statements: never use it as the
// unbraced body of an if, else or case.
#define MESH_TRY(declaration, expression)                                            \
  auto MESH_CONCAT(mesh_try_result_, __LINE__) = (expression);                       \
  if (!MESH_CONCAT(mesh_try_result_, __LINE__).ok()) {                               \
    return ::mesh::fail(std::move(MESH_CONCAT(mesh_try_result_, __LINE__)).error()); \
  }                                                                                  \
  declaration = std::move(MESH_CONCAT(mesh_try_result_, __LINE__)).value()

#define MESH_TRY_VOID(expression)                                   \
  do {                                                              \
    auto mesh_try_void_result = (expression);                       \
    if (!mesh_try_void_result.ok()) {                               \
      return ::mesh::fail(std::move(mesh_try_void_result).error()); \
    }                                                               \
  } while (false)
