#include <ovfkit/disk/formats/registry.hpp>
#include <ovfkit/ops/json.hpp>
#include <ovfkit/ops/version.hpp>
#include <ovfkit/platform/export_target.hpp>
#include <ovfkit/platform/import_source.hpp>
#include <ovfkit/platform/registry.hpp>

namespace ovfkit::ops {

VersionReport version() {
    VersionReport r;
    r.version = OVFKIT_VERSION;
    for (const auto* d : disk::formats::all()) {
        r.disk_formats.push_back(d);
    }
    for (const auto& p : platform::all()) {
        r.platforms.push_back(&p);
    }
    for (const auto& t : platform::export_targets()) {
        r.export_targets.push_back(&t);
    }
    for (const auto& s : platform::import_sources()) {
        r.import_sources.push_back(&s);
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
    nlohmann::json platforms = nlohmann::json::array();
    for (const auto* p : r.platforms) {
        platforms.push_back({{"name", p->name}, {"description", p->display_name}});
    }
    nlohmann::json targets = nlohmann::json::array();
    for (const auto* t : r.export_targets) {
        targets.push_back({{"name", t->name},
                           {"platform", t->platform},
                           {"description", t->description},
                           {"form", t->form == platform::TargetForm::directory ? "directory"
                                    : t->form == platform::TargetForm::package ? "package"
                                                                               : "archive"},
                           {"default_disk_format", t->default_disk_format}});
    }
    nlohmann::json sources = nlohmann::json::array();
    for (const auto* s : r.import_sources) {
        sources.push_back(
            {{"name", s->name}, {"platform", s->platform}, {"description", s->description}});
    }
    nlohmann::json doc = json_document();
    doc.update({{"version", r.version},
                {"disk_formats", formats},
                {"platforms", platforms},
                {"export_targets", targets},
                {"import_sources", sources}});
    return doc;
}

} // namespace ovfkit::ops
