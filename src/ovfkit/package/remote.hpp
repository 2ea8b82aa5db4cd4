// Package files that are not on a local disk: a URL (http, https) or a pipe.
//
// A URL whose server answers range requests (206 Partial Content) becomes a
// File that reads by range, through a small read-ahead cache: an OVA's
// headers, its descriptor and any member are read without downloading the
// rest. A server that ignores ranges (200 OK with the whole body), and a
// pipe, can only be read once from the start; such a source is spooled to an
// unnamed temporary file (O_TMPFILE in $TMPDIR, gone when closed) up to
// RemoteOptions::max_spool bytes, and read from there. Every byte count a
// server states (Content-Length, Content-Range) must match what it sends; a
// disagreement is a refusal, never a short file taken as complete.
//
// Only http and https are spoken, redirects included (never file:, ftp: or
// any other scheme libcurl knows), at most max_redirects of them; TLS
// certificates and host names are verified unless verify_tls is false.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <ovfkit/base/error.hpp>
#include <ovfkit/io/file.hpp>

namespace ovfkit::package {

struct RemoteOptions {
    bool verify_tls = true;     // --no-verify-tls turns it off
    uint32_t max_redirects = 5; // per request
    uint32_t connect_timeout_s = 30;
    // A transfer slower than low_speed_bytes per second for low_speed_time_s
    // seconds is abandoned (a server that stalls).
    uint32_t low_speed_time_s = 30;
    uint32_t low_speed_bytes = 1024;
    uint64_t max_spool = uint64_t{64} << 30; // bytes spooled from a pipe or a range-less server
    size_t cache_block = size_t{1} << 20;    // read-ahead unit of range requests
    // Polled during transfers; true aborts them with a "cancelled" error.
    std::function<bool()> cancelled;
};

// True for "http://..." and "https://..." (scheme case-insensitive).
bool is_url(std::string_view text);

// The URL of `name` (a single safe component) beside the file `url` names:
// the last path segment replaced, query and fragment dropped, `name`
// percent-encoded.
Result<std::string> sibling_url(std::string_view url, std::string_view name);

// Opens `url` for reading: a range-reading File when the server answers
// ranges, else the whole body spooled. Errc::io when the server cannot be
// reached or answers an error status (the status named), Errc::refused when
// it redirects to another scheme or too often, or states sizes it does not
// keep. `spooled` (optional) tells which of the two it became.
Result<std::unique_ptr<io::File>> open_url(const std::string& url, const RemoteOptions& options,
                                           bool* spooled = nullptr);

// The size the server states for `url` (HEAD), nullopt when it answers 404
// or 410. Errc::io for other failures.
Result<std::optional<uint64_t>> url_size(const std::string& url, const RemoteOptions& options);

// Reads the descriptor `fd` (a pipe, a socket, a terminal) to its end into
// a temporary file and returns that file, named `name`. A regular file
// (stdin redirected from a file) is used in place. Errc::refused beyond
// options.max_spool bytes.
Result<std::unique_ptr<io::File>>
spool_stream(int fd, std::string name, const RemoteOptions& options, bool* spooled = nullptr);

} // namespace ovfkit::package
