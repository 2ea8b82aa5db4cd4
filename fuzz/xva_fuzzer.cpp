// libFuzzer target for the XVA importer's readers (platform/xenserver):
// ova.xml (the XML-RPC objects read into a plan) and the chunk index built
// over the tar headers, then every disk read through its chunk reader. What
// they accept must keep its promises, or the target aborts:
//   - every indexed chunk lies inside the archive and inside its disk's
//     virtual size, in ascending, non-overlapping guest order;
//   - every disk the plan names has a VDI, and a VM's devices stay within
//     the import bounds;
//   - reads of a disk succeed or fail with an error, never past the file.
// Inputs are capped at 4 MiB; disks are read up to 8 MiB each.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include <ovfkit/disk/reader.hpp>
#include <ovfkit/io/mem_file.hpp>
#include <ovfkit/platform/xenserver/import.hpp>
#include <ovfkit/platform/xenserver/xva_archive.hpp>

namespace {

void check(bool condition) {
    if (!condition) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ovfkit;
    using namespace ovfkit::platform::xenserver;
    if (size > (size_t{4} << 20)) {
        return 0;
    }
    auto bytes = std::as_bytes(std::span(data, size));
    auto file = std::make_shared<io::MemFile>("fuzz.xva",
                                              std::vector<std::byte>(bytes.begin(), bytes.end()));
    auto text = read_ova_xml(*file);
    if (!text) {
        return 0;
    }
    for (bool keep : {false, true}) {
        platform::ImportOptions options;
        options.keep_macs = keep;
        auto meta = read_ova_metadata(*text, "fuzz.xva:ova.xml", options);
        if (!meta) {
            continue;
        }
        for (const auto& vm : meta->app.vms) {
            check(vm.disks.size() == vm.vm.disks.size());
            check(vm.vm.disks.size() + vm.vm.cdroms.size() <= platform::k_import_max_devices);
            check(vm.vm.nics.size() <= platform::k_import_max_devices);
            check(vm.vm.cpus >= 1);
            for (const auto& d : vm.disks) {
                check(meta->vdis.contains(meta->disk_refs.at(d.disk_id)));
            }
            for (const auto& n : vm.vm.nics) {
                check(keep || !n.mac);
            }
        }
        auto index = index_xva(*file, "fuzz.xva", meta->vdis, meta->export_vsn >= 1);
        if (!index) {
            continue;
        }
        auto shared = std::make_shared<const XvaIndex>(std::move(*index));
        for (const auto& [ref, vdi] : shared->vdis) {
            uint64_t end = 0;
            for (const XvaChunk& c : vdi.chunks) {
                check(c.guest_offset >= end);
                check(c.length > 0 && c.guest_offset + c.length <= vdi.virtual_size);
                check(c.data_at + c.length <= size);
                check(!c.sum || c.sum_at + block_sum_digits(*c.sum) <= size);
                end = c.guest_offset + c.length;
            }
            auto reader = xva_disk_reader(file, shared, ref);
            const uint64_t n = std::min<uint64_t>(reader->virtual_size(), uint64_t{8} << 20);
            std::vector<std::byte> buf(static_cast<size_t>(n));
            if (n > 0) {
                (void)reader->read_at(0, buf);
                auto map = reader->extents(0, n);
                check(map.has_value());
                uint64_t at = 0;
                for (const auto& e : *map) {
                    check(e.offset == at);
                    at += e.length;
                }
                check(at == n);
            }
        }
    }
    return 0;
}
