// Non-fatal findings, collected so that one run reports everything.
//
// Validation, import and export add findings here instead of stopping at the
// first problem; a command decides at the end whether warnings are fatal
// (--strict).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ovfkit {

enum class Severity { warning, error };

constexpr const char* severity_name(Severity s) {
    return s == Severity::error ? "error" : "warning";
}

struct Finding {
    Severity severity = Severity::error;
    std::string code;    // stable identifier, e.g. "OVF-REF-001"; documented in docs/
    std::string message; // one line a person can act on
    std::string file;    // where: file name (may be empty)
    uint32_t line = 0;   // 1-based line in `file`, 0 when not applicable
};

class Diagnostics {
public:
    void add(Finding finding) { m_findings.push_back(std::move(finding)); }
    void error(std::string code, std::string message, std::string file = {}, uint32_t line = 0) {
        add({Severity::error, std::move(code), std::move(message), std::move(file), line});
    }
    void warning(std::string code, std::string message, std::string file = {}, uint32_t line = 0) {
        add({Severity::warning, std::move(code), std::move(message), std::move(file), line});
    }

    const std::vector<Finding>& findings() const { return m_findings; }
    size_t count(Severity s) const {
        size_t n = 0;
        for (const auto& f : m_findings) {
            n += f.severity == s ? 1 : 0;
        }
        return n;
    }
    bool has_errors() const { return count(Severity::error) > 0; }
    bool empty() const { return m_findings.empty(); }

private:
    std::vector<Finding> m_findings;
};

} // namespace ovfkit
