#include <ovfkit/ops/disk_image.hpp>

namespace ovfkit::ops {

Result<disk::Image> open_disk(const ImageRef& ref) {
    disk::OpenImageOptions options;
    options.format = ref.format;
    options.policy.allow_parent = ref.allow_parent;
    options.policy.salvage = ref.salvage;
    return disk::open_image(ref.path, options);
}

std::vector<Finding> image_findings(const disk::Image& image, const std::string& path) {
    std::vector<Finding> out = image.findings;
    for (auto& f : out) {
        if (f.file.empty()) {
            f.file = path;
        }
    }
    return out;
}

std::vector<Finding> missing_findings(const std::vector<disk::MissingRange>& missing,
                                      const std::string& path) {
    std::vector<Finding> out;
    for (const auto& m : missing) {
        std::string message =
            m.length == 0
                ? m.what
                : fmt::format("guest bytes {} to {} ({} bytes) are missing and read as zeros: {}",
                              m.offset, m.offset + m.length, m.length, m.what);
        out.push_back({Severity::error, "DISK-TRUNCATED", std::move(message), path, 0});
    }
    return out;
}

nlohmann::json missing_json(const std::vector<disk::MissingRange>& missing) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& m : missing) {
        out.push_back({{"offset", m.offset}, {"length", m.length}, {"what", m.what}});
    }
    return out;
}

} // namespace ovfkit::ops
