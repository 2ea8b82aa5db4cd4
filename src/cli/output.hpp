// Rendering results for people (text) and programs (--json).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/base/error.hpp>

namespace ovfkit::cli {

// Prints a failure and returns its exit code. With --json the error goes to
// stdout as {"error": {"code", "exit_code", "message"}}; otherwise one line on
// stderr: "ovfkit: error: <message>".
int report_error(const Error& error, bool json);

// Prints a JSON document on stdout, indented, followed by a newline.
void print_json(const nlohmann::json& doc);

// Makes untrusted text safe for a terminal: control characters and invalid
// UTF-8 become \xNN escapes, C1 controls and bidirectional overrides \uNNNN
// (SECURITY.md R22).
std::string terminal_safe(std::string_view text);

// "file:line: severity: message [code]", terminal-safe.
std::string finding_text(const Finding& finding);

// Prints warning findings on stderr ("ovfkit: warning: ... [CODE]") unless
// `quiet`; with --json they are in the document instead.
void print_warnings(const std::vector<Finding>& findings, bool quiet, bool json);

} // namespace ovfkit::cli
