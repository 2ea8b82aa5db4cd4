// Errors as values at the library boundary.
//
// Every fallible library call returns Result<T>. The Errc of an Error maps
// one-to-one onto the command-line exit codes documented in README.md, so a
// failure deep in a format parser reaches the user with the right exit code
// without any layer translating it.
#pragma once

#include <string>
#include <utility>

#include <fmt/format.h>
#include <tl/expected.hpp>

namespace ovfkit {

// Values are the process exit codes; keep them stable.
enum class Errc : int {
    ok = 0,
    invalid = 1, // validation or compatibility failure
    usage = 2,   // wrong arguments
    io = 3,      // the operating system refused (open, read, write, rename)
    refused = 4, // integrity or security refusal (hostile or untrusted input)
};

struct Error {
    Errc code = Errc::invalid;
    std::string message; // one line: what, where, why
};

template <class T>
using Result = tl::expected<T, Error>;

// Builds the error side of a Result. The message is formatted with fmt; pass
// untrusted text only as an argument, never as the format string.
template <class... Args>
[[nodiscard]] tl::unexpected<Error> fail(Errc code, fmt::format_string<Args...> format,
                                         Args&&... args) {
    return tl::unexpected<Error>(Error{code, fmt::format(format, std::forward<Args>(args)...)});
}

[[nodiscard]] inline tl::unexpected<Error> fail(Error error) {
    return tl::unexpected<Error>(std::move(error));
}

// Prefixes the message of an error with a location ("disk.vmdk: ").
[[nodiscard]] inline Error with_context(Error error, std::string_view context) {
    error.message = fmt::format("{}: {}", context, error.message);
    return error;
}

// Returns the name of an error code as used in --json output.
constexpr const char* errc_name(Errc code) {
    switch (code) {
    case Errc::ok:
        return "ok";
    case Errc::invalid:
        return "invalid";
    case Errc::usage:
        return "usage";
    case Errc::io:
        return "io";
    case Errc::refused:
        return "refused";
    }
    return "unknown";
}

} // namespace ovfkit

// Propagates a failed Result from the current function.
//   OVFKIT_TRY(file.sync());
#define OVFKIT_TRY(expr)                                                                           \
    do {                                                                                           \
        if (auto ovfkit_try_r_ = (expr); !ovfkit_try_r_) {                                         \
            return tl::unexpected<::ovfkit::Error>(std::move(ovfkit_try_r_).error());              \
        }                                                                                          \
    } while (false)

// Declares `decl` from the value of a Result, or propagates its error.
//   OVFKIT_TRY_ASSIGN(auto size, file.size());
#define OVFKIT_TRY_CAT2(a, b) a##b
#define OVFKIT_TRY_CAT(a, b) OVFKIT_TRY_CAT2(a, b)
#define OVFKIT_TRY_ASSIGN(decl, expr)                                                              \
    OVFKIT_TRY_ASSIGN_IMPL(OVFKIT_TRY_CAT(ovfkit_try_v_, __LINE__), decl, expr)
#define OVFKIT_TRY_ASSIGN_IMPL(tmp, decl, expr)                                                    \
    auto tmp = (expr);                                                                             \
    if (!tmp) {                                                                                    \
        return tl::unexpected<::ovfkit::Error>(std::move(tmp).error());                            \
    }                                                                                              \
    decl = std::move(*tmp)
