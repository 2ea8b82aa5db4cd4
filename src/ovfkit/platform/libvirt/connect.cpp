// define_in_libvirt through libvirt's C API; see connect.hpp.
#include <cstdlib>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include <ovfkit/io/file.hpp>
#include <ovfkit/platform/libvirt/connect.hpp>
#include <ovfkit/platform/libvirt/domain_xml.hpp>
#include <ovfkit/platform/libvirt/handles.hpp>
#include <ovfkit/xml/escape.hpp>

namespace ovfkit::platform::libvirt {

namespace {

// A volume name from the VM's and the file's: the file name part is the
// engine's ("disk1.qcow2"), the VM's is reduced to bytes a pool accepts.
std::string volume_name(const PlanVm& vm, const std::string& file) {
    std::string base = domain_file_name(vm.name, {});
    base.resize(base.size() - 4); // ".xml"
    return base + "-" + file;
}

// One file to upload and where it goes.
struct Upload {
    std::string file;   // absolute path of the exported file
    std::string volume; // volume name in the pool
    bool cdrom = false;
    size_t index = 0; // into PlanVm::disks or ::cdroms
};

constexpr size_t k_chunk = 4 << 20; // bytes per stream send: bounded memory

Result<uint64_t> upload(virConnectPtr conn, virStorageVolPtr vol, io::File& file,
                        const std::string& what, const ops::JobControl& job, uint64_t& done,
                        uint64_t total) {
    OVFKIT_TRY_ASSIGN(uint64_t size, file.size());
    Stream st(virStreamNew(conn, 0));
    if (!st) {
        return fail(Errc::io, "libvirt: {}: cannot open a stream: {}", what, last_error());
    }
    if (virStorageVolUpload(vol, st.get(), 0, size, 0) < 0) {
        return fail(Errc::io, "libvirt: {}: upload refused: {}", what, last_error());
    }
    std::vector<std::byte> buf(k_chunk);
    uint64_t offset = 0;
    while (offset < size) {
        if (job.cancel.cancelled()) {
            virStreamAbort(st.get());
            return fail(ops::cancelled_error(fmt::format("libvirt: uploading {}", what)));
        }
        size_t n = static_cast<size_t>(std::min<uint64_t>(k_chunk, size - offset));
        if (auto r = io::read_exact(file, std::span(buf.data(), n), offset); !r) {
            virStreamAbort(st.get());
            return fail(with_context(r.error(), what));
        }
        size_t sent = 0;
        while (sent < n) {
            int w =
                virStreamSend(st.get(), reinterpret_cast<const char*>(buf.data()) + sent, n - sent);
            if (w < 0) {
                std::string why = last_error();
                virStreamAbort(st.get());
                return fail(Errc::io, "libvirt: {}: upload failed at byte {}: {}", what,
                            offset + sent, why);
            }
            sent += static_cast<size_t>(w);
        }
        offset += n;
        done += n;
        job.report("uploading", done, total);
    }
    if (virStreamFinish(st.get()) < 0) {
        return fail(Errc::io, "libvirt: {}: upload did not complete: {}", what, last_error());
    }
    return size;
}

// Everything made for one VM so far, undone on failure.
struct Made {
    std::vector<Volume> volumes;
    void rollback() {
        for (auto& v : volumes) {
            virStorageVolDelete(v.get(), 0);
        }
        volumes.clear();
    }
};

} // namespace

nlohmann::json DefineReport::to_json() const {
    nlohmann::json domains_json = nlohmann::json::array();
    for (const auto& d : domains) {
        nlohmann::json vols = nlohmann::json::array();
        for (const auto& v : d.volumes) {
            vols.push_back({{"name", v.name}, {"path", v.path}, {"bytes", v.bytes}});
        }
        domains_json.push_back(
            {{"name", d.name}, {"uuid", d.uuid}, {"replaced", d.replaced}, {"volumes", vols}});
    }
    return {{"schema", "ovfkit/1"}, {"uri", uri}, {"pool", pool}, {"domains", domains_json}};
}

Result<DefineReport> define_in_libvirt(const ExportPlan& plan, const std::string& uri,
                                       const std::string& pool_name, bool force,
                                       const ops::JobControl& job) {
    OVFKIT_TRY(check_unique_names(plan));
    OVFKIT_TRY_ASSIGN(Connection conn, open_connection(uri));
    Pool pool(virStoragePoolLookupByName(conn.get(), pool_name.c_str()));
    if (!pool) {
        return fail(Errc::io, "libvirt: {}: no storage pool '{}': {}", uri, pool_name,
                    last_error());
    }
    if (virStoragePoolIsActive(pool.get()) != 1) {
        return fail(Errc::io, "libvirt: {}: storage pool '{}' is not active", uri, pool_name);
    }
    DefineReport report;
    {
        char* u = virConnectGetURI(conn.get());
        report.uri = u != nullptr ? u : uri;
        std::free(u); // NOLINT: libvirt allocates with malloc
    }
    report.pool = pool_name;

    // Every VM's uploads, and the refusals, before anything changes.
    std::vector<std::vector<Upload>> uploads;
    uint64_t total = 0;
    for (const auto& vm : plan.vms) {
        OVFKIT_TRY_ASSIGN(auto files, file_sources(plan, vm));
        std::vector<Upload> list;
        for (size_t i = 0; i < vm.disks.size(); ++i) {
            list.push_back(
                Upload{files.disks[i], volume_name(vm, vm.disks[i].file_name), false, i});
        }
        for (size_t i = 0; i < vm.cdroms.size(); ++i) {
            if (!files.cdroms[i].empty()) {
                list.push_back(
                    Upload{files.cdroms[i], volume_name(vm, vm.cdroms[i].file_name), true, i});
            }
        }
        Domain existing(virDomainLookupByName(conn.get(), vm.name.c_str()));
        if (existing) {
            if (!force) {
                return fail(Errc::refused,
                            "libvirt: {}: a domain named '{}' exists; --force replaces it", uri,
                            vm.name);
            }
            if (virDomainIsActive(existing.get()) == 1) {
                return fail(Errc::refused,
                            "libvirt: {}: domain '{}' is running; stop it before replacing it", uri,
                            vm.name);
            }
        }
        for (const auto& u : list) {
            Volume v(virStorageVolLookupByName(pool.get(), u.volume.c_str()));
            if (v && !force) {
                return fail(Errc::refused,
                            "libvirt: {}: pool '{}' already holds a volume '{}'; --force "
                            "replaces it",
                            uri, pool_name, u.volume);
            }
            OVFKIT_TRY_ASSIGN(auto f, io::open_read(u.file));
            OVFKIT_TRY_ASSIGN(uint64_t size, f->size());
            total += size;
        }
        uploads.push_back(std::move(list));
    }

    uint64_t done = 0;
    for (size_t k = 0; k < plan.vms.size(); ++k) {
        const PlanVm& vm = plan.vms[k];
        DefinedDomain defined;
        defined.name = vm.name;
        Made made;
        DeviceSources sources;
        sources.disks.resize(vm.disks.size());
        sources.cdroms.resize(vm.cdroms.size());
        auto defined_so_far = [&] {
            std::string names;
            for (const auto& d : report.domains) {
                names += (names.empty() ? "" : ", ") + d.name;
            }
            return names.empty() ? std::string() : fmt::format(" (already defined: {})", names);
        };
        auto failed = [&](Error e) {
            made.rollback();
            e.message += defined_so_far();
            return fail(std::move(e));
        };
        for (const auto& u : uploads[k]) {
            if (force) {
                if (Volume old{virStorageVolLookupByName(pool.get(), u.volume.c_str())}) {
                    if (virStorageVolDelete(old.get(), 0) < 0) {
                        return failed(
                            Error{Errc::io, fmt::format("libvirt: cannot delete volume '{}': {}",
                                                        u.volume, last_error())});
                    }
                }
            }
            auto file = io::open_read(u.file);
            if (!file) {
                return failed(file.error());
            }
            auto size = (*file)->size();
            if (!size) {
                return failed(size.error());
            }
            // Created as raw bytes of the file's exact size: the upload
            // then holds the qcow2 or raw image as written, whatever the
            // pool's backend, and the domain names the driver.
            std::string xml = fmt::format(
                "<volume><name>{}</name><capacity unit='bytes'>{}</capacity>"
                "<allocation unit='bytes'>0</allocation><target><format type='raw'/></target>"
                "</volume>",
                xml::escaped(u.volume), *size);
            Volume vol(virStorageVolCreateXML(pool.get(), xml.c_str(), 0));
            if (!vol) {
                return failed(Error{Errc::io, fmt::format("libvirt: cannot create volume '{}' in "
                                                          "pool '{}': {}",
                                                          u.volume, pool_name, last_error())});
            }
            virStorageVolPtr raw_vol = vol.get();
            made.volumes.push_back(std::move(vol));
            auto sent = upload(conn.get(), raw_vol, **file, u.volume, job, done, total);
            if (!sent) {
                return failed(sent.error());
            }
            char* path = virStorageVolGetPath(raw_vol);
            if (path == nullptr) {
                return failed(Error{Errc::io, fmt::format("libvirt: volume '{}' has no path: {}",
                                                          u.volume, last_error())});
            }
            std::string p(path);
            std::free(path); // NOLINT: libvirt allocates with malloc
            (u.cdrom ? sources.cdroms : sources.disks)[u.index] = p;
            defined.volumes.push_back(DefinedVolume{u.volume, p, *sent});
        }
        auto xml = domain_xml(vm, sources, plan.disk_format);
        if (!xml) {
            return failed(xml.error());
        }
        if (Domain existing{virDomainLookupByName(conn.get(), vm.name.c_str())}) {
            unsigned flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                             VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | VIR_DOMAIN_UNDEFINE_NVRAM |
                             VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA;
            if (virDomainUndefineFlags(existing.get(), flags) < 0) {
                return failed(Error{Errc::io, fmt::format("libvirt: cannot undefine '{}': {}",
                                                          vm.name, last_error())});
            }
            defined.replaced = true;
        }
        Domain dom(virDomainDefineXMLFlags(conn.get(), xml->c_str(), VIR_DOMAIN_DEFINE_VALIDATE));
        if (!dom) {
            return failed(Error{Errc::io, fmt::format("libvirt: {}: defining '{}' failed: {}", uri,
                                                      vm.name, last_error())});
        }
        char uuid[VIR_UUID_STRING_BUFLEN] = {};
        if (virDomainGetUUIDString(dom.get(), uuid) == 0) {
            defined.uuid = uuid;
        }
        made.volumes.clear(); // the domain owns them now
        report.domains.push_back(std::move(defined));
    }
    return report;
}

} // namespace ovfkit::platform::libvirt
