#include <ovfkit/ops/json.hpp>

namespace ovfkit::ops {

nlohmann::json json_document() {
    return {{"schema", k_json_schema}};
}

nlohmann::json finding_json(const Finding& f) {
    return {{"severity", severity_name(f.severity)},
            {"code", f.code},
            {"message", f.message},
            {"file", f.file},
            {"line", f.line}};
}

nlohmann::json findings_json(const std::vector<Finding>& findings) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& f : findings) {
        out.push_back(finding_json(f));
    }
    return out;
}

nlohmann::json error_json(const Error& error) {
    return {{"code", errc_name(error.code)},
            {"exit_code", static_cast<int>(error.code)},
            {"message", error.message}};
}

nlohmann::json failure_json(const Error& error) {
    nlohmann::json doc = json_document();
    doc["error"] = error_json(error);
    return doc;
}

} // namespace ovfkit::ops
