// libFuzzer target for the libvirt domain reader
// (platform/libvirt/domain_reader.cpp): any bytes, read with and without
// absolute paths and volumes. Whatever the document says, a plan that is
// read keeps the reader's promises (relative, '..'-free paths unless
// allowed, bounded counts, a row of the OS table, one boot disk); anything
// else aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <ovfkit/platform/import_source.hpp>
#include <ovfkit/platform/libvirt/domain_reader.hpp>

namespace {

void check(const ovfkit::platform::libvirt::DomainImport& d, bool absolute) {
    using namespace ovfkit::platform;
    const PlanVm& vm = d.vm;
    if (vm.os.row == nullptr || vm.cpus == 0 || vm.memory_bytes == 0 ||
        d.disks.size() != vm.disks.size() || d.cdroms.size() != vm.cdroms.size() ||
        vm.disks.size() + vm.cdroms.size() > k_import_max_devices ||
        vm.nics.size() > k_import_max_devices) {
        std::abort();
    }
    size_t boot = 0;
    for (const auto& disk : vm.disks) {
        boot += disk.boot ? 1 : 0;
        if (vm.controller(disk.controller) == nullptr) {
            std::abort();
        }
    }
    if (!vm.disks.empty() && boot != 1) {
        std::abort();
    }
    auto path_ok = [&](const std::string& p) {
        if (p.empty()) {
            return true;
        }
        if (p.front() == '/' && !absolute) {
            return false;
        }
        size_t start = 0;
        while (start <= p.size()) {
            size_t slash = p.find('/', start);
            std::string_view part = std::string_view(p).substr(
                start, slash == std::string::npos ? std::string::npos : slash - start);
            if (part == "..") {
                return false;
            }
            if (slash == std::string::npos) {
                break;
            }
            start = slash + 1;
        }
        return true;
    };
    for (const auto& s : d.disks) {
        if (!path_ok(s.path) || s.backing.size() > 16 || s.path.find(':') != std::string::npos) {
            std::abort();
        }
    }
    for (const auto& s : d.cdroms) {
        if (!path_ok(s.path)) {
            std::abort();
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ovfkit::platform::libvirt;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    for (int mode = 0; mode < 2; ++mode) {
        ReadOptions options;
        options.allow_absolute_paths = mode == 1;
        options.keep_mac = mode == 1;
        options.resolve_volumes = mode == 1;
        auto r = read_domain(text, "fuzz.xml", options);
        if (r) {
            check(*r, options.allow_absolute_paths);
        } else if (r.error().message.empty() || r.error().message.find('\n') != std::string::npos) {
            std::abort();
        }
    }
    return 0;
}
