// Input errors as values (Abseil StatusOr discipline). A bad flag, file or field becomes an
// InputError that travels up through Result<T> to main(), which prints one line and exits 2.
// Bugs (broken invariants) are not input errors: they use PTSIM_CHECK (check.h).
#pragma once

#include <exception>
#include <string>
#include <utility>
#include <variant>

#include "common/check.h"

namespace ptsim {

struct InputError {
  std::string source;  // file path, "--flag", or a logical source such as "preset llama3-70b"
  std::string field;   // JSON pointer ("/gpu/hbm_bandwidth") or flag name; may be empty
  std::string message;

  // "source: field: message" on one line, the form main() prints.
  std::string one_line() const;
};

// Loaders may throw this internally for brevity; every public entry point catches it and returns a
// Result, so no exception crosses a module boundary.
class InputException : public std::exception {
 public:
  explicit InputException(InputError error) : error_(std::move(error)), what_(error_.one_line()) {}
  const InputError& error() const { return error_; }
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  InputError error_;
  std::string what_;
};

[[noreturn]] inline void throw_input_error(std::string source, std::string field,
                                           std::string message) {
  throw InputException(InputError{std::move(source), std::move(field), std::move(message)});
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}           // NOLINT: implicit by design
  Result(InputError error) : state_(std::move(error)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& {
    PTSIM_CHECK(ok(), "Result::value() on an error: " + error().one_line());
    return std::get<T>(state_);
  }
  T& value() & {
    PTSIM_CHECK(ok(), "Result::value() on an error: " + error().one_line());
    return std::get<T>(state_);
  }
  T&& value() && {
    PTSIM_CHECK(ok(), "Result::value() on an error: " + error().one_line());
    return std::get<T>(std::move(state_));
  }
  const InputError& error() const {
    PTSIM_CHECK(!ok(), "Result::error() on a value");
    return std::get<InputError>(state_);
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, InputError> state_;
};

// Result<void>: success or an InputError.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() {
  return Ok{};
}

// Runs fn (which may throw InputException) and returns its value or the error as a Result.
template <class Fn>
auto catch_input_errors(Fn&& fn) -> Result<decltype(fn())> {
  try {
    return fn();
  } catch (const InputException& e) {
    return e.error();
  }
}

}  // namespace ptsim
