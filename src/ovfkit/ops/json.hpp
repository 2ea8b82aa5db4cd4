// The JSON forms of operation reports, made in one place.
//
// Every document ovfkit prints with --json is an object whose "schema" member
// names its version ("ovfkit/1"). Fields are only added within a version; a
// rename or removal would change the version, so scripts can depend on it.
#pragma once

#include <nlohmann/json.hpp>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/base/error.hpp>

namespace ovfkit::ops {

inline constexpr const char* k_json_schema = "ovfkit/1";

// {"schema": "ovfkit/1"}, the start of every document.
nlohmann::json json_document();

// {severity, code, message, file, line}.
nlohmann::json finding_json(const Finding& finding);
nlohmann::json findings_json(const std::vector<Finding>& findings);

// {"code", "exit_code", "message"}.
nlohmann::json error_json(const Error& error);

// The document of a failed operation: {"schema", "error": {...}}.
nlohmann::json failure_json(const Error& error);

// A JSON value that is null when absent.
template <class T>
nlohmann::json optional_json(const std::optional<T>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

} // namespace ovfkit::ops
