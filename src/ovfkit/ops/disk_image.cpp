#include <ovfkit/ops/disk_image.hpp>

namespace ovfkit::ops {

Result<disk::Image> open_disk(const ImageRef& ref) {
    disk::OpenImageOptions options;
    options.format = ref.format;
    options.policy.allow_parent = ref.allow_parent;
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

} // namespace ovfkit::ops
