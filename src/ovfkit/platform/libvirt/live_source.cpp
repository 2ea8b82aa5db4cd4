// read_live_domain through libvirt's C API; see live_source.hpp.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <ovfkit/platform/libvirt/handles.hpp>
#include <ovfkit/platform/libvirt/live_source.hpp>
#include <ovfkit/xml/document.hpp>

namespace ovfkit::platform::libvirt {

namespace {

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

constexpr size_t k_chunk = 4 << 20; // bytes per stream receive: bounded memory

// The volume's format and whether it has a backing file, from its XML.
struct VolumeFacts {
    std::string format;
    bool backing = false;
};

Result<VolumeFacts> volume_facts(virStorageVolPtr vol, const std::string& what) {
    CString desc(virStorageVolGetXMLDesc(vol, 0));
    if (!desc) {
        return fail(Errc::io, "libvirt: {}: cannot read the volume's description: {}", what,
                    last_error());
    }
    OVFKIT_TRY_ASSIGN(auto doc, xml::Document::parse(std::string_view(desc.get()),
                                                     fmt::format("volume of {}", what)));
    VolumeFacts facts;
    if (auto target = doc.root().first_child("", "target")) {
        if (auto format = target.first_child("", "format")) {
            facts.format = format.attribute("", "type").value_or("");
        }
    }
    if (auto backing = doc.root().first_child("", "backingStore")) {
        auto path = backing.first_child("", "path");
        facts.backing = path && !path.text().empty();
    }
    return facts;
}

// A staging file name: the device name and the format, [a-z0-9.] only.
std::string staged_name(const std::string& dev, const std::string& format, size_t index) {
    std::string base;
    for (char c : dev) {
        base += ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? c : '_';
    }
    if (base.empty() || base.size() > 64) {
        base = fmt::format("disk{}", index);
    }
    std::string ext;
    for (char c : format) {
        ext += ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? c : '_';
    }
    return fmt::format("{}.{}", base, ext.empty() || ext.size() > 16 ? "img" : ext);
}

Result<uint64_t> download(virConnectPtr conn, virStorageVolPtr vol, int dir_fd,
                          const std::string& name, const std::string& what,
                          const ops::JobControl& job, uint64_t& done, uint64_t total) {
    virStorageVolInfo info{};
    if (virStorageVolGetInfoFlags(vol, &info, VIR_STORAGE_VOL_GET_PHYSICAL) < 0) {
        return fail(Errc::io, "libvirt: {}: cannot read the volume's size: {}", what, last_error());
    }
    Fd out;
    out.fd =
        ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out.fd < 0) {
        return fail(Errc::io, "{}: cannot create '{}' in the staging directory: {}", what, name,
                    std::strerror(errno));
    }
    Stream st(virStreamNew(conn, 0));
    if (!st) {
        return fail(Errc::io, "libvirt: {}: cannot open a stream: {}", what, last_error());
    }
    if (virStorageVolDownload(vol, st.get(), 0, 0, 0) < 0) {
        return fail(Errc::io, "libvirt: {}: download refused: {}", what, last_error());
    }
    std::vector<char> buf(k_chunk);
    uint64_t got = 0;
    for (;;) {
        if (job.cancel.cancelled()) {
            virStreamAbort(st.get());
            return fail(ops::cancelled_error(fmt::format("libvirt: downloading {}", what)));
        }
        int n = virStreamRecv(st.get(), buf.data(), buf.size());
        if (n < 0) {
            std::string why = last_error();
            virStreamAbort(st.get());
            return fail(Errc::io, "libvirt: {}: download failed at byte {}: {}", what, got, why);
        }
        if (n == 0) {
            break;
        }
        size_t off = 0;
        while (off < static_cast<size_t>(n)) {
            ssize_t w = ::write(out.fd, buf.data() + off, static_cast<size_t>(n) - off);
            if (w < 0 && errno == EINTR) {
                continue;
            }
            if (w <= 0) {
                std::string why = std::strerror(errno);
                virStreamAbort(st.get());
                return fail(Errc::io, "{}: writing '{}' failed at byte {}: {}", what, name,
                            got + off, why);
            }
            off += static_cast<size_t>(w);
        }
        got += static_cast<uint64_t>(n);
        done += static_cast<uint64_t>(n);
        job.report("downloading", done, total);
    }
    if (virStreamFinish(st.get()) < 0) {
        return fail(Errc::io, "libvirt: {}: download did not complete: {}", what, last_error());
    }
    // A short stream is never taken for the whole volume.
    if (got != info.allocation) {
        return fail(Errc::io, "libvirt: {}: {} bytes received of the volume's {}", what, got,
                    info.allocation);
    }
    if (::fsync(out.fd) < 0) {
        return fail(Errc::io, "{}: fsync of '{}': {}", what, name, std::strerror(errno));
    }
    return got;
}

} // namespace

Result<LiveAddress> parse_live_source(std::string_view source) {
    if (!source.starts_with(k_live_prefix)) {
        return fail(Errc::usage, "'{}' is not a libvirt:URI/DOMAIN source", source);
    }
    std::string_view rest = source.substr(k_live_prefix.size());
    size_t slash = rest.rfind('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) {
        return fail(Errc::usage,
                    "'{}': a live source is libvirt:URI/DOMAIN (libvirt:qemu:///system/web01)",
                    source);
    }
    LiveAddress a{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
    if (a.uri.find("://") == std::string::npos) {
        return fail(Errc::usage, "'{}': '{}' is not a libvirt URI (qemu:///system)", source, a.uri);
    }
    return a;
}

Result<LiveImport> read_live_domain(const LiveAddress& address, const std::string& staging_dir,
                                    const LiveOptions& options, const ops::JobControl& job) {
    const std::string where = fmt::format("libvirt:{}/{}", address.uri, address.domain);
    if (options.snapshot) {
        return fail(Errc::usage, "{}: --snapshot is not implemented yet; shut the domain off",
                    where);
    }
    OVFKIT_TRY_ASSIGN(Connection conn, open_connection(address.uri));
    Domain dom(virDomainLookupByName(conn.get(), address.domain.c_str()));
    if (!dom) {
        return fail(Errc::io, "{}: no such domain: {}", where, last_error());
    }
    int state = 0;
    int reason = 0;
    if (virDomainGetState(dom.get(), &state, &reason, 0) < 0) {
        return fail(Errc::io, "{}: cannot read the domain's state: {}", where, last_error());
    }
    if (state != VIR_DOMAIN_SHUTOFF) {
        return fail(Errc::refused,
                    "{}: the domain is not shut off (state {}); its disks would change while "
                    "read. Shut it down (--snapshot is not implemented yet)",
                    where, state);
    }
    CString desc(virDomainGetXMLDesc(dom.get(), VIR_DOMAIN_XML_INACTIVE));
    if (!desc) {
        return fail(Errc::io, "{}: cannot read the domain's XML: {}", where, last_error());
    }
    ReadOptions ro;
    ro.allow_absolute_paths = true; // resolved through the API below, never opened here
    ro.keep_mac = options.keep_mac;
    ro.resolve_volumes = true;
    OVFKIT_TRY_ASSIGN(auto domain, read_domain(std::string_view(desc.get()), where, ro));

    LiveImport out;
    {
        CString u(virConnectGetURI(conn.get()));
        out.uri = u ? std::string(u.get()) : address.uri;
    }
    // Every volume first, so that nothing is downloaded for a refused VM.
    std::vector<Volume> volumes;
    std::vector<std::string> formats;
    uint64_t total = 0;
    for (size_t i = 0; i < domain.disks.size(); ++i) {
        const DomainSource& src = domain.disks[i];
        const PlanDisk& d = domain.vm.disks[i];
        std::string what = fmt::format("{}: disk {}", where, d.disk_id);
        Volume vol;
        if (!src.volume.empty()) {
            Pool pool(virStoragePoolLookupByName(conn.get(), src.pool.c_str()));
            if (!pool) {
                return fail(Errc::io, "{}: no storage pool '{}': {}", what, src.pool, last_error());
            }
            vol.reset(virStorageVolLookupByName(pool.get(), src.volume.c_str()));
        } else {
            vol.reset(virStorageVolLookupByPath(conn.get(), src.path.c_str()));
            if (!vol) {
                return fail(Errc::refused,
                            "{}: '{}' is in no storage pool, so libvirt cannot stream it; import "
                            "the domain's XML with --allow-absolute-paths instead",
                            what, src.path);
            }
        }
        if (!vol) {
            return fail(Errc::io, "{}: no volume '{}': {}", what, src.volume, last_error());
        }
        if (!src.backing.empty()) {
            return fail(Errc::refused,
                        "{}: the disk has backing files; flatten it (virsh blockpull) first", what);
        }
        OVFKIT_TRY_ASSIGN(auto facts, volume_facts(vol.get(), what));
        if (facts.backing) {
            return fail(Errc::refused,
                        "{}: the volume has a backing file; flatten it (virsh blockpull) first",
                        what);
        }
        virStorageVolInfo info{};
        if (virStorageVolGetInfoFlags(vol.get(), &info, VIR_STORAGE_VOL_GET_PHYSICAL) == 0) {
            total += info.allocation;
        }
        formats.push_back(src.format.empty() ? facts.format : src.format);
        volumes.push_back(std::move(vol));
    }
    Fd dir;
    dir.fd = ::open(staging_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir.fd < 0) {
        return fail(Errc::io, "{}: cannot open the staging directory: {}", staging_dir,
                    std::strerror(errno));
    }
    uint64_t done = 0;
    for (size_t i = 0; i < volumes.size(); ++i) {
        PlanDisk& d = domain.vm.disks[i];
        std::string name = staged_name(d.disk_id, formats[i], i);
        OVFKIT_TRY(download(conn.get(), volumes[i].get(), dir.fd, name,
                            fmt::format("{}: disk {}", where, d.disk_id), job, done, total));
        domain.disks[i] = DomainSource{name, "", "", formats[i], {}};
        d.file_name = name;
        d.format = formats[i];
    }
    for (size_t i = 0; i < domain.cdroms.size(); ++i) {
        if (!domain.cdroms[i].path.empty() || !domain.cdroms[i].volume.empty()) {
            domain.notes.push_back(MapNote{"cdrom-source", NoteAction::dropped, "CD-ROM",
                                           "the medium is not copied from a live domain; the "
                                           "drive is carried empty"});
        }
        domain.cdroms[i] = DomainSource{};
        domain.vm.cdroms[i].file_name.clear();
    }
    out.domain = std::move(domain);
    out.bytes_copied = done;
    return out;
}

} // namespace ovfkit::platform::libvirt
