// The import engine; see import.hpp.
#include <cstring>
#include <set>

#include <fmt/format.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/disk/image.hpp>
#include <ovfkit/io/file.hpp>
#include <ovfkit/ops/import.hpp>
#include <ovfkit/ovf/xml_writer.hpp>
#include <ovfkit/platform/dialect_envelope.hpp>
#include <ovfkit/xml/escape.hpp>

namespace ovfkit::ops {

using platform::Bus;
using platform::NoteAction;
using platform::PlanVm;

namespace {

constexpr uint64_t k_mib = 1024 * 1024;
const std::string k_rasd(ovf::k_rasd_ns);
const std::string k_vssd(ovf::k_vssd_ns);

using platform::msg;

// rasd:ResourceSubType in the vocabulary export_plan.cpp's controller_model
// and nic_model read back.
std::string_view scsi_subtype(std::string_view model) {
    if (model == "pvscsi") {
        return "VirtualSCSI";
    }
    return model; // lsilogic, lsilogicsas, buslogic, virtio-scsi, or as written
}

std::string_view nic_subtype(std::string_view model) {
    if (model == "e1000") {
        return "E1000";
    }
    if (model == "e1000e") {
        return "E1000e";
    }
    if (model == "vmxnet3") {
        return "VmxNet3";
    }
    if (model == "vmxnet") {
        return "VmxNet2";
    }
    if (model == "pcnet") {
        return "PCNet32";
    }
    return model; // virtio, rtl8139, or as written
}

std::string config_fragment(std::string_view key, std::string_view value) {
    return fmt::format("<vmw:Config xmlns:vmw=\"{}\" xmlns:ovf=\"{}\" ovf:required=\"false\" "
                       "vmw:key=\"{}\" vmw:value=\"{}\"/>",
                       ovf::k_vmw_ns, ovf::k_envelope_ns_placeholder, key, value);
}

ovf::UnknownSection vendor_section(std::string_view platform,
                                   const std::vector<platform::VendorSetting>& settings) {
    std::string x =
        fmt::format("<ovfkit:ImportedSettings xmlns:ovfkit=\"{}\" xmlns:ovf=\"{}\" "
                    "ovf:required=\"false\" ovfkit:platform=\"{}\">",
                    k_import_ns, ovf::k_envelope_ns_placeholder, xml::escaped(platform));
    x += fmt::format("<ovf:Info>Settings of the {} VM that OVF has no element for</ovf:Info>",
                     xml::escaped(platform));
    for (const auto& s : settings) {
        x += "<ovfkit:Setting ovfkit:key=\"";
        xml::append_escaped(x, s.key);
        x += "\" ovfkit:value=\"";
        xml::append_escaped(x, s.value);
        x += "\"/>";
    }
    x += "</ovfkit:ImportedSettings>";
    ovf::UnknownSection u;
    u.element.xml = std::move(x);
    u.element.ns = std::string(k_import_ns);
    u.element.name = "ImportedSettings";
    u.required = false;
    return u;
}

class HardwareBuilder {
public:
    HardwareBuilder(const PlanVm& vm, platform::PlanNotes& notes) : m_vm(vm), m_notes(notes) {}

    Result<ovf::VirtualHardwareSection> build() {
        ovf::VirtualHardwareSection hw;
        hw.header.info = msg("Virtual hardware requirements");
        ovf::System sys;
        sys.set(k_vssd, "ElementName", "Virtual Hardware Family");
        sys.set(k_vssd, "InstanceID", "0");
        sys.set(k_vssd, "VirtualSystemIdentifier", m_vm.name);
        if (!m_vm.machine.empty()) {
            sys.set(k_vssd, "VirtualSystemType", m_vm.machine);
        }
        hw.system = std::move(sys);

        auto& cpu = add(3, fmt::format("{} virtual CPU(s)", m_vm.cpus));
        cpu.set(k_rasd, "AllocationUnits", "hertz * 10^6");
        cpu.set(k_rasd, "VirtualQuantity", fmt::format("{}", m_vm.cpus));
        uint64_t mib = (m_vm.memory_bytes + k_mib - 1) / k_mib;
        auto& mem = add(4, fmt::format("{}MB of memory", mib));
        mem.set(k_rasd, "AllocationUnits", "byte * 2^20");
        mem.set(k_rasd, "VirtualQuantity", fmt::format("{}", mib));

        for (const auto& c : m_vm.controllers) {
            controller(c);
        }
        for (size_t i = 0; i < m_vm.disks.size(); ++i) {
            const auto& d = m_vm.disks[i];
            OVFKIT_TRY_ASSIGN(std::string parent, parent_of(d.controller, "disk " + d.disk_id));
            auto& it = add(17, fmt::format("Hard Disk {}", i + 1));
            it.set(k_rasd, "AddressOnParent", fmt::format("{}", d.unit));
            it.set(k_rasd, "HostResource", "ovf:/disk/" + d.disk_id);
            it.set(k_rasd, "Parent", parent);
        }
        for (size_t i = 0; i < m_vm.cdroms.size(); ++i) {
            const auto& cd = m_vm.cdroms[i];
            OVFKIT_TRY_ASSIGN(std::string parent,
                              parent_of(cd.controller, fmt::format("CD-ROM {}", i + 1)));
            auto& it = add(15, fmt::format("CD/DVD Drive {}", i + 1));
            it.set(k_rasd, "AddressOnParent", fmt::format("{}", cd.unit));
            it.set(k_rasd, "AutomaticAllocation", "false");
            it.set(k_rasd, "Parent", parent);
        }
        for (size_t i = 0; i < m_vm.nics.size(); ++i) {
            const auto& nic = m_vm.nics[i];
            auto& it = add(10, fmt::format("Network adapter {}", i + 1));
            if (nic.mac) {
                it.set(k_rasd, "Address", *nic.mac);
            }
            it.set(k_rasd, "AutomaticAllocation", "true");
            it.set(k_rasd, "Connection", nic.ovf_network);
            it.set(k_rasd, "ResourceSubType", std::string(nic_subtype(nic.model)));
        }
        hw.items = std::move(m_items);
        // Firmware: CIM has no element; vmw:Config is what every reader
        // knows (platform/vmware/vendor_sections.hpp).
        auto config = [&](std::string_view key, std::string_view value) {
            ovf::Extension e;
            e.element.xml = config_fragment(key, value);
            e.element.ns = std::string(ovf::k_vmw_ns);
            e.element.name = "Config";
            e.position = static_cast<uint32_t>(2 + hw.items.size());
            hw.header.extra.elements.push_back(std::move(e));
        };
        if (m_vm.firmware_stated || m_vm.firmware == platform::Firmware::efi) {
            config("firmware", m_vm.firmware == platform::Firmware::efi ? "efi" : "bios");
        }
        if (m_vm.firmware == platform::Firmware::efi) {
            config("bootOptions.efiSecureBootEnabled", m_vm.secure_boot ? "true" : "false");
        }
        return hw;
    }

private:
    ovf::Item& add(unsigned type, std::string name) {
        ovf::Item it;
        it.set(k_rasd, "ElementName", std::move(name));
        it.set(k_rasd, "InstanceID", fmt::format("{}", m_next++));
        it.set(k_rasd, "ResourceType", fmt::format("{}", type));
        m_items.push_back(std::move(it));
        return m_items.back();
    }

    Result<std::string> parent_of(const std::string& controller, const std::string& what) {
        auto it = m_parents.find(controller);
        if (it == m_parents.end()) {
            return fail(Errc::invalid, "import: VM '{}': {} is on no controller ('{}')", m_vm.path,
                        what, controller);
        }
        return it->second;
    }

    void controller(const platform::PlanController& c) {
        ovf::Item* it = nullptr;
        switch (c.bus) {
        case Bus::ide:
            it = &add(5, fmt::format("IDE Controller {}", c.index));
            break;
        case Bus::scsi:
            it = &add(6, fmt::format("SCSI Controller {}", c.index));
            it->set(k_rasd, "ResourceSubType", std::string(scsi_subtype(c.model)));
            break;
        case Bus::sata:
            it = &add(20, fmt::format("SATA Controller {}", c.index));
            it->set(k_rasd, "ResourceSubType", "AHCI");
            break;
        case Bus::nvme:
            it = &add(20, fmt::format("NVMe Controller {}", c.index));
            it->set(k_rasd, "ResourceSubType", "NVMe");
            break;
        case Bus::virtio:
            // OVF has no item for virtio-blk: its disks go on a virtio-scsi
            // controller, which every target that runs virtio has.
            it = &add(6, fmt::format("SCSI Controller {}", c.index));
            it->set(k_rasd, "ResourceSubType", "virtio-scsi");
            m_notes.add("bus-virtio", NoteAction::translated, m_vm, c.id,
                        "OVF has no item for virtio-blk; its disks are carried on a virtio-scsi "
                        "controller");
            break;
        }
        it->set(k_rasd, "Address", fmt::format("{}", c.index));
        m_parents[c.id] = *it->instance_id();
    }

    const PlanVm& m_vm;
    platform::PlanNotes& m_notes;
    std::vector<ovf::Item> m_items;
    std::map<std::string, std::string> m_parents;
    unsigned m_next = 1;
};

ovf::OperatingSystemSection os_section(const PlanVm& vm, bool& uses_vmw) {
    ovf::OperatingSystemSection os;
    os.header.info = msg("The kind of installed guest operating system");
    const platform::GuestOsRow* row = vm.os.row;
    os.id = fmt::format("{}", row->cim);
    if (!row->cim_version.empty()) {
        os.version = std::string(row->cim_version);
    }
    if (!row->vmware.empty()) {
        os.vmw_os_type = std::string(row->vmware);
        uses_vmw = true;
    }
    os.description = msg(std::string(row->display));
    return os;
}

Result<ovf::Content> system_of(const platform::ImportedVm& ivm, std::string_view platform,
                               platform::PlanNotes& notes, bool& uses_vmw) {
    const PlanVm& vm = ivm.vm;
    ovf::Content c;
    c.kind = ovf::ContentKind::virtual_system;
    c.id = vm.system_id;
    c.info = msg(fmt::format("A virtual machine imported from {}", platform));
    c.name = msg(vm.name);
    if (!vm.description.empty()) {
        ovf::AnnotationSection a;
        a.header.info = msg("A human-readable annotation");
        a.annotation = msg(vm.description);
        c.sections.emplace_back(std::move(a));
    }
    c.sections.emplace_back(os_section(vm, uses_vmw));
    HardwareBuilder builder(vm, notes);
    OVFKIT_TRY_ASSIGN(ovf::VirtualHardwareSection hw, builder.build());
    uses_vmw = true; // vmw:Config
    c.sections.emplace_back(std::move(hw));
    if (!ivm.vendor.empty()) {
        c.sections.emplace_back(vendor_section(platform, ivm.vendor));
    }
    return c;
}

// An imported VM's disks, read beneath the VM's directory.
class ImportFiles final : public package::AssembledFiles {
public:
    struct Entry {
        platform::ImportDisk disk;
        std::string directory; // the appliance's
    };

    void add(std::string href, Entry entry) {
        m_entries.emplace(std::move(href), std::move(entry));
    }

    // What the disks need while they are read (ImportedAppliance::owned: a
    // live source's staging directory): kept as long as the package is.
    void keep(std::shared_ptr<void> owned) { m_owned = std::move(owned); }

    Result<std::optional<uint64_t>> file_size(std::string_view name) const override {
        const Entry* e = find(name);
        if (e == nullptr) {
            return std::optional<uint64_t>{};
        }
        if (e->disk.open) {
            if (e->disk.capacity_bytes) {
                return e->disk.capacity_bytes;
            }
            OVFKIT_TRY_ASSIGN(auto image, e->disk.open());
            return std::optional<uint64_t>{image->reader->virtual_size()};
        }
        OVFKIT_TRY_ASSIGN(auto file, open_top(*e));
        OVFKIT_TRY_ASSIGN(uint64_t size, file->size());
        return std::optional<uint64_t>{size};
    }

    Result<std::unique_ptr<io::File>> open_file(std::string_view name) const override {
        const Entry* e = find(name);
        if (e == nullptr) {
            return fail(Errc::io, "import: no disk file '{}'", name);
        }
        if (e->disk.open) {
            return fail(Errc::invalid, "import: disk '{}' is read through its image only", name);
        }
        return open_top(*e);
    }

    Result<std::unique_ptr<disk::Image>> open_image(std::string_view name) const override {
        const Entry* e = find(name);
        if (e == nullptr) {
            return fail(Errc::io, "import: no disk file '{}'", name);
        }
        return open_disk(*e);
    }

    std::vector<std::string> names() const override {
        std::vector<std::string> out;
        for (const auto& [href, e] : m_entries) {
            out.push_back(href);
        }
        return out;
    }

    static Result<std::unique_ptr<disk::Image>> open_disk(const Entry& e) {
        if (e.disk.open) {
            return e.disk.open();
        }
        OVFKIT_TRY_ASSIGN(auto where, locate(e));
        disk::OpenImageOptions options;
        options.format = e.disk.format;
        options.policy.allow_parent = true; // snapshots: flattened through their chain
        auto image = disk::open_image_at(std::move(where.first), where.second, options);
        if (!image) {
            Error err = std::move(image).error();
            err.message = fmt::format("{} (disk {})", err.message, e.disk.disk_id);
            return fail(std::move(err));
        }
        return std::make_unique<disk::Image>(std::move(*image));
    }

private:
    std::map<std::string, Entry, std::less<>> m_entries;
    std::shared_ptr<void> m_owned;

    const Entry* find(std::string_view name) const {
        auto it = m_entries.find(name);
        return it == m_entries.end() ? nullptr : &it->second;
    }

    // The directory that holds the disk's top file, and its name there.
    static Result<std::pair<io::Directory, std::string>> locate(const Entry& e) {
        const std::string& p = e.disk.path;
        if (p.find('/') == std::string::npos) {
            OVFKIT_TRY_ASSIGN(auto dir, io::Directory::open(e.directory));
            return std::pair{std::move(dir), p};
        }
        // Only an importer told to allow paths gives one with '/'.
        std::string full = p.starts_with('/') ? p : e.directory + "/" + p;
        OVFKIT_TRY_ASSIGN(auto dir, io::Directory::of_file(full));
        return std::pair{std::move(dir), std::string(base_name(full))};
    }

    static Result<std::unique_ptr<io::File>> open_top(const Entry& e) {
        OVFKIT_TRY_ASSIGN(auto where, locate(e));
        return where.first.open_read(where.second);
    }
};

// A package file name for the disk at `path`, unique among `taken`.
std::string href_for(const platform::ImportDisk& d, std::set<std::string>& taken) {
    std::string base(base_name(d.path));
    if (!io::check_member_name(base)) {
        base = d.disk_id + ".img";
    }
    std::string name = base;
    for (int n = 2; taken.contains(name); ++n) {
        name = fmt::format("{}-{}", n, base);
    }
    taken.insert(name);
    return name;
}

} // namespace

Result<ovf::Envelope> import_envelope(const platform::ImportedAppliance& app,
                                      const std::map<std::string, ImportedDiskFacts>& disks,
                                      platform::PlanNotes& notes) {
    ovf::Envelope env;
    env.version = ovf::OvfVersion::v1;
    env.version_attribute = "1.0";
    bool uses_vmw = false;

    ovf::DiskSection ds;
    ds.header.info = msg("Virtual disk information");
    std::set<std::string> ids;
    unsigned file_number = 0;
    for (const auto& ivm : app.vms) {
        for (const auto& d : ivm.vm.disks) {
            if (!ids.insert(d.disk_id).second) {
                return fail(Errc::invalid, "import: two disks are called {}", d.disk_id);
            }
            auto facts = disks.find(d.disk_id);
            if (facts == disks.end()) {
                return fail(Errc::invalid, "import: disk {} was not measured", d.disk_id);
            }
            ovf::File f;
            f.id = fmt::format("file{}", ++file_number);
            f.href = facts->second.href;
            env.references.files.push_back(f);
            ovf::Disk disk;
            disk.disk_id = d.disk_id;
            disk.file_ref = f.id;
            disk.capacity = fmt::format("{}", facts->second.capacity);
            disk.capacity_allocation_units = "byte";
            ds.disks.push_back(std::move(disk));
        }
    }
    ovf::NetworkSection ns;
    ns.header.info = msg("The list of logical networks");
    std::set<std::string> networks;
    for (const auto& ivm : app.vms) {
        for (const auto& nic : ivm.vm.nics) {
            if (networks.insert(nic.ovf_network).second) {
                ovf::Network n;
                n.name = nic.ovf_network;
                n.description = msg(fmt::format("The {} network", nic.ovf_network));
                ns.networks.push_back(std::move(n));
            }
        }
    }
    if (!ds.disks.empty()) {
        env.sections.emplace_back(std::move(ds));
    }
    if (!ns.networks.empty()) {
        env.sections.emplace_back(std::move(ns));
    }
    std::vector<ovf::Content> systems;
    for (const auto& ivm : app.vms) {
        OVFKIT_TRY_ASSIGN(ovf::Content c, system_of(ivm, app.platform, notes, uses_vmw));
        systems.push_back(std::move(c));
    }
    if (systems.size() == 1) {
        env.content = std::move(systems.front());
    } else {
        env.content.kind = ovf::ContentKind::collection;
        env.content.id = "vapp";
        env.content.info = msg(fmt::format("Virtual machines imported from {}", app.platform));
        env.content.name = msg(std::string(base_name(app.config)));
        env.content.children = std::move(systems);
    }
    if (uses_vmw) {
        env.namespaces.push_back({"vmw", std::string(ovf::k_vmw_ns)});
    }
    return env;
}

Result<package::Source> open_import(const platform::ImportSource& importer, const std::string& path,
                                    const platform::ImportOptions& options, Diagnostics& notes) {
    OVFKIT_TRY_ASSIGN(platform::ImportedAppliance app, importer.read(path, options));
    auto files = std::make_shared<ImportFiles>();
    files->keep(app.owned);
    std::map<std::string, ImportedDiskFacts> facts;
    std::set<std::string> taken;
    for (const auto& ivm : app.vms) {
        for (const auto& d : ivm.disks) {
            ImportFiles::Entry entry{d, app.directory};
            ImportedDiskFacts f;
            f.href = href_for(d, taken);
            if (d.open && d.capacity_bytes && !d.format.empty()) {
                // Stated by the source: opened only when its bytes are read.
                f.capacity = *d.capacity_bytes;
                f.format = d.format;
            } else {
                OVFKIT_TRY_ASSIGN(auto image, ImportFiles::open_disk(entry));
                f.capacity = image->reader->virtual_size();
                f.format = std::string(image->driver->name);
                for (const Finding& finding : image->findings) {
                    notes.add(finding);
                }
            }
            facts[d.disk_id] = f;
            files->add(f.href, std::move(entry));
        }
    }
    OVFKIT_TRY_ASSIGN(ovf::Envelope env, import_envelope(app, facts, app.notes));
    for (const platform::PlanNote& n : app.notes.all()) {
        std::string code = "IMPORT-";
        for (char c : n.code) {
            code += c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
        }
        std::string text =
            fmt::format("{}: {}: {}", n.item, platform::note_action_name(n.action), n.reason);
        notes.warning(std::move(code), std::move(text), app.config, 0);
    }
    OVFKIT_TRY_ASSIGN(std::string text, ovf::write_envelope(env, env.version));
    std::vector<std::byte> bytes(text.size());
    std::memcpy(bytes.data(), text.data(), text.size());
    std::string stem(base_name(app.config));
    if (auto dot = stem.rfind('.'); dot != std::string::npos && dot > 0) {
        stem.resize(dot);
    }
    return package::Source::assembled(path, stem + ".ovf", std::move(bytes), std::move(files));
}

} // namespace ovfkit::ops
