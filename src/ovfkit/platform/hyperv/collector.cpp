// The collector script `ovfkit hyperv-collector` prints (docs/import.md,
// "Hyper-V"). It builds explicit objects holding only what the importer
// reads (raw cmdlet objects carry CIM sessions and back-references), turns
// every enum into its name, writes sizes as integer bytes and collections
// as arrays, and writes UTF-8 without a BOM
// (formats/proxmox-vma-hyperv-vmcx.md 2.6-2.8).
#include <ovfkit/platform/hyperv/import.hpp>

namespace ovfkit::platform::hyperv {

namespace {

constexpr std::string_view k_script =
    R"PS1(# ovfkit Hyper-V collector: the settings of Hyper-V VMs as JSON, for
# `ovfkit convert EXPORT-DIRECTORY OUT.ova` (ovfkit reads no .vmcx file).
# Run on the Hyper-V host as an administrator (Windows PowerShell 5.1 or
# PowerShell 7), then put the file in the exported VM's directory, beside
# "Virtual Hard Disks":
#
#   .\ovfkit-collector.ps1 -Name web01 -OutFile D:\Export\web01\web01.json
#
# It only reads (Get-VM and the Get-VM* cmdlets); nothing is changed.
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)][string[]]$Name,
    [string]$OutFile
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2

function Get-Drive($d, [bool]$dvd) {
    $o = [ordered]@{
        Path               = $d.Path
        ControllerType     = "$($d.ControllerType)"
        ControllerNumber   = [int]$d.ControllerNumber
        ControllerLocation = [int]$d.ControllerLocation
    }
    if ($dvd) { $o.DvdMediaType = "$($d.DvdMediaType)" } else { $o.DiskNumber = $d.DiskNumber }
    [pscustomobject]$o
}

$vms = @(foreach ($n in $Name) {
    foreach ($vm in @(Get-VM -Name $n)) {
        $memory = Get-VMMemory -VM $vm
        $firmware = $null
        if ($vm.Generation -eq 2) {
            $f = Get-VMFirmware -VM $vm
            $firmware = [pscustomobject][ordered]@{
                SecureBoot         = "$($f.SecureBoot)"
                SecureBootTemplate = "$($f.SecureBootTemplate)"
            }
        }
        $security = $null
        if (Get-Command Get-VMSecurity -ErrorAction SilentlyContinue) {
            $s = Get-VMSecurity -VM $vm
            $security = [pscustomobject]@{ TpmEnabled = [bool]$s.TpmEnabled }
        }
        [pscustomobject][ordered]@{
            Name            = $vm.Name
            Id              = "$($vm.Id)"
            Generation      = [int]$vm.Generation
            Version         = "$($vm.Version)"
            State           = "$($vm.State)"
            ProcessorCount  = [int64]$vm.ProcessorCount
            Memory          = [pscustomobject][ordered]@{
                Startup              = [int64]$memory.Startup
                DynamicMemoryEnabled = [bool]$memory.DynamicMemoryEnabled
                Minimum              = [int64]$memory.Minimum
                Maximum              = [int64]$memory.Maximum
            }
            Firmware        = $firmware
            Security        = $security
            HardDrives      = @(Get-VMHardDiskDrive -VM $vm | ForEach-Object { Get-Drive $_ $false })
            DvdDrives       = @(Get-VMDvdDrive -VM $vm | ForEach-Object { Get-Drive $_ $true })
            NetworkAdapters = @(Get-VMNetworkAdapter -VM $vm | ForEach-Object {
                [pscustomobject][ordered]@{
                    Name                     = $_.Name
                    SwitchName               = $_.SwitchName
                    MacAddress               = $_.MacAddress
                    DynamicMacAddressEnabled = [bool]$_.DynamicMacAddressEnabled
                    IsLegacy                 = [bool]$_.IsLegacy
                }
            })
            Notes           = $vm.Notes
        }
    }
})

$doc = [pscustomobject][ordered]@{
    schema = 'ovfkit-hyperv-collector/1'
    vms    = $vms
}
$json = ConvertTo-Json -InputObject $doc -Depth 8
if ($OutFile) {
    [System.IO.File]::WriteAllText($OutFile, $json, (New-Object System.Text.UTF8Encoding $false))
} else {
    $json
}
)PS1";

} // namespace

std::string_view collector_script() {
    return k_script;
}

} // namespace ovfkit::platform::hyperv
