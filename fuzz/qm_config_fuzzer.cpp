// libFuzzer target for the Proxmox qm config reader and importer
// (platform/proxmox/qm_config.cpp, import.cpp): any bytes, with and without
// --keep-macs. A config that imports keeps the importer's promises (a row
// of the OS table, CPUs and memory set, bounded devices, every disk on a
// controller of the VM, one boot disk); an error is one line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <ovfkit/platform/proxmox/import.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ovfkit;
    using namespace ovfkit::platform;
    using namespace ovfkit::platform::proxmox;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto one_line = [](const Error& e) {
        if (e.message.empty() || e.message.find('\n') != std::string::npos) {
            std::abort();
        }
    };
    auto cfg = parse_qm_config(text, "fuzz.conf");
    if (!cfg) {
        one_line(cfg.error());
        return 0;
    }
    DriveResolver any = [](const std::string& drive, const std::string& volume,
                           const std::string& where) -> Result<std::optional<ImportDisk>> {
        (void)where;
        if (volume.size() % 3 == 0) {
            return std::optional<ImportDisk>{}; // "not in the archive"
        }
        ImportDisk d;
        d.path = drive + ".raw";
        return std::optional<ImportDisk>(std::move(d));
    };
    for (int keep = 0; keep < 2; ++keep) {
        ImportOptions o;
        o.keep_macs = keep == 1;
        auto app = import_qm(*cfg, "fuzz.conf", o, any);
        if (!app) {
            one_line(app.error());
            continue;
        }
        const PlanVm& vm = app->vms.at(0).vm;
        if (vm.os.row == nullptr || vm.cpus == 0 || vm.memory_bytes == 0 ||
            vm.disks.size() != app->vms[0].disks.size() ||
            vm.disks.size() + vm.cdroms.size() > k_import_max_devices || vm.nics.size() > 32) {
            std::abort();
        }
        size_t boot = 0;
        for (const auto& d : vm.disks) {
            boot += d.boot ? 1 : 0;
            if (vm.controller(d.controller) == nullptr) {
                std::abort();
            }
        }
        for (const auto& n : vm.nics) {
            if (n.mac && keep == 0) {
                std::abort();
            }
        }
        if (!vm.disks.empty() && boot != 1) {
            std::abort();
        }
    }
    return 0;
}
