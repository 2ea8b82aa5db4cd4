// The vzdump archive importer; see import.hpp and vma_stream.hpp. The
// header (configs, devices) is read when the archive is; the disks are
// staged on their first open, all in one forward pass, into a staging
// directory the appliance owns and removes. Their sizes come from the
// header, so planning, `info` and --dry-run stage nothing.
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

#include <fmt/format.h>
#include <unistd.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/disk/image.hpp>
#include <ovfkit/platform/proxmox/import.hpp>
#include <ovfkit/platform/proxmox/vma_stream.hpp>

namespace ovfkit::platform::proxmox {

namespace {

// The archive's staged devices: made on the first disk's open, removed
// with the last disk (and the appliance) that holds them.
struct VmaStaging {
    std::string archive;
    std::map<unsigned, std::string> files; // device id -> staged file name
    std::mutex mutex;
    std::string directory; // "" until staged
    std::optional<Error> failed;

    ~VmaStaging() {
        if (!directory.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(directory, ec);
        }
    }

    Result<std::string> staged() {
        std::lock_guard lock(mutex);
        if (failed) {
            return tl::unexpected(*failed);
        }
        if (!directory.empty()) {
            return directory;
        }
        const char* env = std::getenv("TMPDIR");
        std::string tmpl = fmt::format("{}/ovfkit-vma-XXXXXX", env != nullptr && *env != '\0'
                                                                   ? std::string(env)
                                                                   : std::string("/var/tmp"));
        if (::mkdtemp(tmpl.data()) == nullptr) {
            return fail(Errc::io, "{}: cannot make a staging directory: {}", tmpl,
                        std::strerror(errno));
        }
        auto ok = stage_vma(archive, tmpl, files);
        if (!ok) {
            std::error_code ec;
            std::filesystem::remove_all(tmpl, ec);
            failed = ok.error();
            return tl::unexpected(ok.error());
        }
        directory = tmpl;
        return directory;
    }
};

bool claims_vma(const std::string& path, bool is_directory, std::span<const std::byte> head) {
    (void)path;
    return !is_directory && looks_like_vma(head);
}

std::string directory_of(const std::string& path) {
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    char buf[PATH_MAX];
    if (::realpath(dir.c_str(), buf) != nullptr) {
        return buf;
    }
    return dir;
}

Result<ImportedAppliance> read_vma(const std::string& path, const ImportOptions& options) {
    if (!options.volumes.empty()) {
        return fail(Errc::usage, "{}: --volume is for qm configs; a VMA holds its disks", path);
    }
    OVFKIT_TRY_ASSIGN(auto in, VmaInput::open(path));
    OVFKIT_TRY_ASSIGN(VmaHeader header, read_vma_header(*in));
    const VmaConfig* conf = header.config("qemu-server.conf");
    if (conf == nullptr) {
        return fail(Errc::invalid, "{}: the archive holds no qemu-server.conf (not a VM backup)",
                    path);
    }
    std::string name = fmt::format("{}:qemu-server.conf", path);
    OVFKIT_TRY_ASSIGN(QmConfig config, parse_qm_config(conf->data, name));
    auto staging = std::make_shared<VmaStaging>();
    staging->archive = path;
    DriveResolver resolve = [&](const std::string& drive, const std::string& volume,
                                const std::string& at) -> Result<std::optional<ImportDisk>> {
        (void)volume;
        const QmDumpMap* map = nullptr;
        for (const auto& m : config.dump_map) {
            if (m.drive == drive) {
                map = &m;
            }
        }
        if (map == nullptr) {
            return std::optional<ImportDisk>{}; // excluded from the backup
        }
        const VmaDevice* dev = header.device(map->device);
        if (dev == nullptr) {
            return fail(Errc::invalid,
                        "{}:{}: {} is device \"{}\", which the archive does not hold", name,
                        map->line, drive, shown(map->device));
        }
        (void)at;
        std::string file = dev->name + ".raw"; // a safe name (vma.cpp)
        staging->files[dev->id] = file;
        ImportDisk d;
        d.path = file;
        d.format = "raw";
        d.capacity_bytes = dev->size; // the staged file's size (stage_vma)
        // Each disk holds the staging: the engine keeps the disks, not the
        // appliance, while the package is read.
        d.open = [s = staging, file]() -> Result<std::unique_ptr<disk::Image>> {
            OVFKIT_TRY_ASSIGN(std::string dir, s->staged());
            OVFKIT_TRY_ASSIGN(auto staged_dir, io::Directory::open(dir));
            disk::OpenImageOptions o;
            o.format = "raw";
            OVFKIT_TRY_ASSIGN(auto image, disk::open_image_at(std::move(staged_dir), file, o));
            return std::make_unique<disk::Image>(std::move(image));
        };
        return std::optional<ImportDisk>(std::move(d));
    };
    OVFKIT_TRY_ASSIGN(auto app, import_qm(config, name, options, resolve));
    app.config = path;
    app.directory = directory_of(path);
    for (const auto& dev : header.devices) {
        if (dev.name == "drive-efidisk0" || dev.name.starts_with("drive-tpmstate0")) {
            app.notes.add("vma-device", NoteAction::dropped, app.vms.front().vm, dev.name,
                          "the firmware's state in the archive is not carried (see fw-nvram, "
                          "tpm-state)");
        }
    }
    app.owned = staging;
    return app;
}

} // namespace

const ImportSource vma_import_source{
    .name = "vma",
    .platform = "proxmox",
    .description = "a Proxmox VE vzdump archive (.vma, .vma.zst, .vma.gz, .vma.lzo)",
    .claims = claims_vma,
    .read = read_vma,
};

} // namespace ovfkit::platform::proxmox
