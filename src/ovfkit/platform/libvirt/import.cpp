// libvirt's importers; see import.hpp.
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/platform/libvirt/import.hpp>
#include <ovfkit/platform/libvirt/live_source.hpp>

namespace ovfkit::platform::libvirt {

namespace {

std::string directory_of(const std::string& path) {
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    char buf[PATH_MAX];
    if (::realpath(dir.c_str(), buf) != nullptr) {
        return buf;
    }
    return dir;
}

bool claims_xml(const std::string& path, bool is_directory, std::span<const std::byte> head) {
    if (is_directory || !ascii_lower(path).ends_with(".xml")) {
        return false;
    }
    std::string_view text(reinterpret_cast<const char*>(head.data()), head.size());
    return text.find("<domain") != std::string_view::npos;
}

Result<ImportedAppliance> read_xml(const std::string& path, const ImportOptions& options) {
    OVFKIT_TRY_ASSIGN(auto file, io::open_read(path));
    OVFKIT_TRY_ASSIGN(uint64_t size, file->size());
    if (size > k_import_max_config) {
        return fail(Errc::refused, "{}: {} bytes; a domain XML is at most {} bytes", path, size,
                    k_import_max_config);
    }
    std::string text(static_cast<size_t>(size), '\0');
    OVFKIT_TRY(
        io::read_exact(*file, std::as_writable_bytes(std::span(text.data(), text.size())), 0));
    ReadOptions ro;
    ro.allow_absolute_paths = options.allow_absolute_paths;
    ro.keep_mac = options.keep_macs;
    OVFKIT_TRY_ASSIGN(auto domain, read_domain(text, path, ro));
    return imported_appliance(std::move(domain), path, directory_of(path));
}

bool claims_live(const std::string& path, bool is_directory, std::span<const std::byte> head) {
    (void)is_directory;
    (void)head;
    return path.starts_with(k_live_prefix);
}

// A staging directory, removed with everything in it when released.
struct Staging {
    std::string path;
    ~Staging() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

Result<ImportedAppliance> read_live(const std::string& path, const ImportOptions& options) {
    OVFKIT_TRY_ASSIGN(auto address, parse_live_source(path));
    const char* env = std::getenv("TMPDIR");
    std::string tmpl =
        fmt::format("{}/ovfkit-libvirt-XXXXXX",
                    env != nullptr && *env != '\0' ? std::string(env) : std::string("/var/tmp"));
    if (::mkdtemp(tmpl.data()) == nullptr) {
        return fail(Errc::io, "{}: cannot make a staging directory: {}", tmpl,
                    std::strerror(errno));
    }
    auto staging = std::make_shared<Staging>();
    staging->path = tmpl;
    LiveOptions lo;
    lo.keep_mac = options.keep_macs;
    OVFKIT_TRY_ASSIGN(auto live, read_live_domain(address, staging->path, lo, ops::JobControl{}));
    ImportedAppliance app = imported_appliance(std::move(live.domain), path, staging->path);
    app.owned = staging;
    return app;
}

} // namespace

ImportedAppliance imported_appliance(DomainImport domain, const std::string& config,
                                     const std::string& directory) {
    ImportedAppliance app;
    app.platform = "libvirt";
    app.config = config;
    app.directory = directory;
    ImportedVm ivm;
    ivm.vm = std::move(domain.vm);
    for (size_t i = 0; i < ivm.vm.disks.size(); ++i) {
        PlanDisk& d = ivm.vm.disks[i];
        ivm.disks.push_back(
            ImportDisk{d.disk_id, domain.disks[i].path, domain.disks[i].format, {}});
        // The engine names files; the plan keeps only where the disk hangs.
        d.file_id.clear();
        d.file_name.clear();
        d.format.clear();
    }
    if (!domain.uuid.empty()) {
        ivm.vendor.push_back({"/domain/uuid", domain.uuid});
    }
    if (!domain.domain_type.empty()) {
        ivm.vendor.push_back({"/domain/@type", domain.domain_type});
    }
    for (const auto& n : domain.notes) {
        app.notes.add(n.code, n.action, ivm.vm, n.item, n.reason);
    }
    app.vms.push_back(std::move(ivm));
    return app;
}

const ImportSource xml_import_source{
    .name = "libvirt-xml",
    .platform = "libvirt",
    .description = "a libvirt domain XML file (virsh dumpxml) with its disk files",
    .claims = claims_xml,
    .read = read_xml,
};

const ImportSource live_import_source{
    .name = "libvirt",
    .platform = "libvirt",
    .description = "libvirt:URI/DOMAIN, a shut-off domain of a running libvirt daemon",
    .claims = claims_live,
    .read = read_live,
};

} // namespace ovfkit::platform::libvirt
