// libFuzzer target for the Hyper-V collector JSON reader
// (platform/hyperv/import.cpp): any bytes, with and without --keep-macs,
// disks looked for in a scratch "Virtual Hard Disks" holding web.vhdx and
// data.vhdx. Whatever the JSON says, an appliance that is read keeps the
// importer's promises (disk paths are one plain name of a file in that
// folder, bounded counts, a row of the OS table, one boot disk on a
// controller of the VM); a refusal is one line; anything else aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include <stdlib.h>

#include <ovfkit/platform/hyperv/import.hpp>

namespace {

const std::string& disks_dir() {
    static const std::string dir = [] {
        char tmpl[] = "/tmp/ovfkit-hyperv-fuzz-XXXXXX";
        const char* made = ::mkdtemp(tmpl);
        if (made == nullptr) {
            std::abort();
        }
        std::string d(made);
        for (const char* f : {"web.vhdx", "data.vhdx"}) {
            std::ofstream(d + "/" + f) << "x";
        }
        return d;
    }();
    return dir;
}

void check(const ovfkit::platform::ImportedAppliance& app) {
    using namespace ovfkit::platform;
    for (const ImportedVm& ivm : app.vms) {
        const PlanVm& vm = ivm.vm;
        if (vm.os.row == nullptr || vm.cpus == 0 || vm.memory_bytes == 0 ||
            ivm.disks.size() != vm.disks.size() ||
            vm.disks.size() + vm.cdroms.size() > 2 * k_import_max_devices ||
            vm.nics.size() > k_import_max_devices) {
            std::abort();
        }
        size_t boot = 0;
        for (const auto& d : vm.disks) {
            boot += d.boot ? 1 : 0;
            if (vm.controller(d.controller) == nullptr) {
                std::abort();
            }
        }
        if (!vm.disks.empty() && boot != 1) {
            std::abort();
        }
        for (const auto& d : ivm.disks) {
            if (d.path != "web.vhdx" && d.path != "data.vhdx") {
                std::abort();
            }
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ovfkit::platform;
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    for (int mode = 0; mode < 2; ++mode) {
        ImportOptions options;
        options.keep_macs = mode == 1;
        auto r = hyperv::import_collector(bytes, "fuzz.json", disks_dir(), options);
        if (r) {
            check(*r);
        } else if (r.error().message.empty() || r.error().message.find('\n') != std::string::npos) {
            std::abort();
        }
    }
    return 0;
}
