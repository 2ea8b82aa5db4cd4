// import.ps1: creates every VM of the plan on a Hyper-V host with the
// Hyper-V module's cmdlets, in start order. The script's code is fixed
// text; what comes from the appliance (names, description, switch names,
// file names) appears only as string data made by expression() — pure
// ASCII, single-quoted, never interpolated — so no appliance text is ever
// PowerShell code (SECURITY.md R22). Paths are resolved from the script's
// own folder ($PSScriptRoot); every step stops the script on error, and a
// failure removes what the run created.
#include <map>
#include <set>

#include <fmt/format.h>

#include <ovfkit/platform/hyperv/map.hpp>

namespace ovfkit::platform::hyperv {

namespace {

constexpr std::string_view k_head = R"PS(#Requires -Version 5.1
#Requires -Modules Hyper-V
#Requires -RunAsAdministrator
<#
.SYNOPSIS
Creates this appliance's virtual machines on a Hyper-V host.

.DESCRIPTION
Written by ovfkit (`ovfkit convert --to hyperv`); hyperv.json beside it
lists what it creates. Run it on the Hyper-V host, as administrator, from
any folder: the disks and DVD images are read from this script's folder.
Before creating anything it checks that every file and every virtual
switch it needs exists and that no VM of the same name does; a failure
after that removes the VMs and files this run created. Every appliance
value below is a quoted string literal, never code.

.PARAMETER Destination
The folder the disks and DVD images are copied into (default: the host's
VirtualHardDiskPath). A file already there is never overwritten.

.PARAMETER InPlace
Attach the disks and images where they are, in this script's folder,
instead of copying them.

.EXAMPLE
.\import.ps1 -Destination D:\Hyper-V\appliance
#>
[CmdletBinding()]
param(
    [string]$Destination = '',
    [switch]$InPlace
)
Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

function Stop-Import([string]$Message) {
    throw "import.ps1: $Message"
}

# A file of this export, by its plain name.
function Get-SourceFile([string]$Name) {
    $path = Join-Path -Path $PSScriptRoot -ChildPath $Name
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        Stop-Import "missing file: $path"
    }
    return $path
}

# The virtual switch of that exact name (Get-VMSwitch -Name would read
# wildcards in it).
function Get-Switch([string]$Name) {
    $found = @(Get-VMSwitch | Where-Object { $_.Name -eq $Name })
    if ($found.Count -ne 1) {
        Stop-Import "the host has $($found.Count) virtual switches named '$Name' (one is needed): create it with New-VMSwitch, or export again with --net NETWORK=SWITCH"
    }
    return $found[0]
}

# Where the VM uses a file from: its copy in $Destination, or the file here
# with -InPlace.
$script:copied = New-Object System.Collections.Generic.List[string]
function Use-File([string]$Name) {
    $source = Get-SourceFile $Name
    if ($InPlace) {
        return $source
    }
    $target = Join-Path -Path $Destination -ChildPath $Name
    if (Test-Path -LiteralPath $target) {
        Stop-Import "$target exists already; remove it or choose another -Destination"
    }
    Copy-Item -LiteralPath $source -Destination $target
    $script:copied.Add($target)
    return $target
}

# Gives $Vm SCSI controllers 0 to $Count - 1 (generation 2 starts with one,
# generation 1 with none).
function Add-ScsiControllers($Vm, [int]$Count) {
    while (@(Get-VMScsiController -VM $Vm).Count -lt $Count) {
        Add-VMScsiController -VM $Vm
    }
}

if (-not $InPlace) {
    if ($Destination -eq '') {
        $Destination = (Get-VMHost).VirtualHardDiskPath
    }
    if (-not (Test-Path -LiteralPath $Destination -PathType Container)) {
        New-Item -ItemType Directory -Path $Destination | Out-Null
    }
}
)PS";

std::string mib(uint64_t bytes) {
    return fmt::format("{}MB", bytes >> 20);
}

} // namespace

Result<std::string> write_script(const ExportPlan& plan) {
    for (const auto& vm : plan.vms) {
        OVFKIT_TRY(check_mapped(plan, vm));
    }
    std::string out(k_head);

    // Before anything is created: every file, switch and VM name.
    out += "\n# Checks before anything is created.\n";
    for (const auto& vm : plan.vms) {
        for (const auto& d : vm.disks) {
            out += fmt::format("Get-SourceFile {} | Out-Null\n", expression(d.file_name));
        }
        for (const auto& c : vm.cdroms) {
            if (!c.file_name.empty()) {
                out += fmt::format("Get-SourceFile {} | Out-Null\n", expression(c.file_name));
            }
        }
    }
    std::set<std::string> switch_names;
    for (const auto& vm : plan.vms) {
        for (const auto& n : vm.nics) {
            if (!n.network.empty()) {
                switch_names.insert(n.network);
            }
        }
    }
    out += "$switches = @{}\n";
    // Keyed by number: switch names are data, never hashtable syntax.
    std::map<std::string, size_t> switch_index;
    for (const auto& name : switch_names) {
        size_t k = switch_index.size();
        switch_index[name] = k;
        out += fmt::format("$switches[{}] = Get-Switch {}\n", k, expression(name));
    }
    out += "foreach ($name in @(";
    for (size_t k = 0; k < plan.vms.size(); ++k) {
        out += fmt::format("{}\n    {}", k == 0 ? "" : ",", expression(plan.vms[k].name));
    }
    out += "\n)) {\n"
           "    if (@(Get-VM | Where-Object { $_.Name -eq $name }).Count -ne 0) {\n"
           "        Stop-Import \"a VM named '$name' exists already\"\n"
           "    }\n"
           "}\n";
    out += "\n$created = New-Object System.Collections.Generic.List[object]\ntry {\n";
    for (size_t k = 0; k < plan.vms.size(); ++k) {
        const PlanVm& vm = plan.vms[k];
        const int gen = generation(vm);
        std::string b; // the VM's block, indented into the try
        auto line = [&](std::string text) { b += "    " + text + "\n"; };
        b += fmt::format("\n    # VM {} of {} (hyperv.json vms[{}]): generation {}\n", k + 1,
                         plan.vms.size(), k, gen);
        line(fmt::format("$vmName = {}", expression(vm.name)));
        line(fmt::format("$vm = New-VM -Name $vmName -Generation {} -MemoryStartupBytes {} -NoVHD",
                         gen, mib(vm.memory_bytes)));
        line("if ($null -eq $vm) { Stop-Import \"New-VM $vmName created nothing\" }");
        line("$created.Add($vm)");
        // New-VM adds a network adapter (and, in generation 1, a DVD drive):
        // the VM gets exactly the plan's.
        line("Get-VMNetworkAdapter -VM $vm | Remove-VMNetworkAdapter");
        line("Get-VMDvdDrive -VM $vm | Remove-VMDvdDrive");
        line(fmt::format("Set-VMProcessor -VM $vm -Count {}", vm.cpus));
        if (vm.memory_min_bytes != 0 || vm.memory_max_bytes != 0) {
            line(fmt::format("Set-VMMemory -VM $vm -DynamicMemoryEnabled $true -MinimumBytes {} "
                             "-StartupBytes {} -MaximumBytes {}",
                             mib(vm.memory_min_bytes), mib(vm.memory_bytes),
                             mib(vm.memory_max_bytes)));
        } else {
            line(fmt::format("Set-VMMemory -VM $vm -DynamicMemoryEnabled $false -StartupBytes {}",
                             mib(vm.memory_bytes)));
        }
        if (!vm.description.empty()) {
            line(fmt::format("Set-VM -VM $vm -Notes {}", expression(vm.description)));
        }
        if (gen == 2) {
            line(fmt::format("Set-VMFirmware -VM $vm -EnableSecureBoot {} -SecureBootTemplate {}",
                             vm.secure_boot ? "On" : "Off", literal(secure_boot_template(vm))));
            if (vm.tpm) {
                line("Set-VMKeyProtector -VM $vm -NewLocalKeyProtector");
                line("Enable-VMTPM -VM $vm");
            }
        }
        unsigned scsi = 0;
        for (const auto& c : vm.controllers) {
            if (c.bus == Bus::scsi) {
                scsi = std::max(scsi, c.index + 1);
            }
        }
        if (scsi > 0) {
            line(fmt::format("Add-ScsiControllers $vm {}", scsi));
        }
        for (const auto& d : vm.disks) {
            std::string_view type;
            unsigned number = 0;
            controller_address(d.controller, type, number);
            line(fmt::format("$drive = Add-VMHardDiskDrive -VM $vm -ControllerType {} "
                             "-ControllerNumber {} -ControllerLocation {} -Path (Use-File {}) "
                             "-Passthru",
                             type, number, d.unit, expression(d.file_name)));
            line(fmt::format("if ($null -eq $drive) {{ Stop-Import \"{} {}:{}: no disk "
                             "attached\" }}",
                             type, number, d.unit));
            if (d.boot) {
                line("$bootDrive = $drive");
            }
        }
        for (const auto& c : vm.cdroms) {
            std::string_view type;
            unsigned number = 0;
            controller_address(c.controller, type, number);
            std::string path = c.file_name.empty()
                                   ? ""
                                   : fmt::format(" -Path (Use-File {})", expression(c.file_name));
            line(fmt::format("$dvd = Add-VMDvdDrive -VM $vm -ControllerNumber {} "
                             "-ControllerLocation {}{} -Passthru",
                             number, c.unit, path));
            line(fmt::format("if ($null -eq $dvd) {{ Stop-Import \"{} {}:{}: no DVD drive "
                             "added\" }}",
                             type, number, c.unit));
        }
        for (size_t i = 0; i < vm.nics.size(); ++i) {
            const PlanNic& n = vm.nics[i];
            line(fmt::format("$nic = Add-VMNetworkAdapter -VM $vm -Name 'net{}'{} -Passthru", i,
                             n.model == k_legacy ? " -IsLegacy $true" : ""));
            line(fmt::format("if ($null -eq $nic) {{ Stop-Import \"net{}: no network adapter "
                             "added\" }}",
                             i));
            if (!n.network.empty()) {
                line(fmt::format("Connect-VMNetworkAdapter -VMNetworkAdapter $nic -VMSwitch "
                                 "$switches[{}]",
                                 switch_index.at(n.network)));
            }
            if (n.mac) {
                line(fmt::format("Set-VMNetworkAdapter -VMNetworkAdapter $nic -StaticMacAddress "
                                 "'{}'",
                                 static_mac(*n.mac)));
            }
        }
        if (gen == 1) {
            line("Set-VMBios -VM $vm -StartupOrder @('IDE', 'CD', 'LegacyNetworkAdapter', "
                 "'Floppy')");
        } else if (!vm.disks.empty()) {
            line("Set-VMFirmware -VM $vm -FirstBootDevice $bootDrive");
        }
        line("Write-Output \"import.ps1: created VM '$vmName'\"");
        out += b;
    }
    out += R"PS(} catch {
    # Undo this run: the VMs it created, then the files it copied.
    foreach ($made in $created) {
        Write-Warning "import.ps1: removing VM '$($made.Name)' after the failure"
        Remove-VM -VM $made -Force -ErrorAction Continue
    }
    foreach ($file in $script:copied) {
        Remove-Item -LiteralPath $file -Force -ErrorAction Continue
    }
    throw
}
)PS";
    return out;
}

Result<std::vector<OutputFile>> write_files(const ExportPlan& plan) {
    OVFKIT_TRY_ASSIGN(std::string script, write_script(plan));
    OVFKIT_TRY_ASSIGN(std::string summary, write_summary(plan));
    std::vector<OutputFile> files;
    files.push_back(OutputFile{std::string(k_script_name), std::move(script), false});
    files.push_back(OutputFile{std::string(k_summary_name), std::move(summary), false});
    return files;
}

} // namespace ovfkit::platform::hyperv
