#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/ops/json.hpp>
#include <ovfkit/ops/version.hpp>

namespace ovfkit::ops {

VersionReport version() {
    VersionReport r;
    r.version = OVFKIT_VERSION;
    for (const auto* d : disk::formats::all()) {
        r.disk_formats.push_back(d);
    }
    return r;
}

nlohmann::json to_json(const VersionReport& r) {
    nlohmann::json formats = nlohmann::json::array();
    for (const auto* d : r.disk_formats) {
        formats.push_back({{"name", d->name},
                           {"description", d->description},
                           {"family", d->family},
                           {"read", d->open != nullptr},
                           {"write", d->create != nullptr}});
    }
    nlohmann::json doc = json_document();
    doc.update({{"version", r.version}, {"disk_formats", formats}});
    return doc;
}

} // namespace ovfkit::ops
