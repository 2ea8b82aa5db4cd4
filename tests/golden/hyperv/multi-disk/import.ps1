#Requires -Version 5.1
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

# Checks before anything is created.
Get-SourceFile 'appliance-d0.vhdx' | Out-Null
Get-SourceFile 'appliance-d1.vhdx' | Out-Null
Get-SourceFile 'appliance-d2.vhdx' | Out-Null
Get-SourceFile 'appliance-d3.vhdx' | Out-Null
Get-SourceFile 'appliance-d4.vhdx' | Out-Null
Get-SourceFile 'appliance-env.iso' | Out-Null
$switches = @{}
$switches[0] = Get-Switch 'net'
foreach ($name in @(
    'storage'
)) {
    if (@(Get-VM | Where-Object { $_.Name -eq $name }).Count -ne 0) {
        Stop-Import "a VM named '$name' exists already"
    }
}

$created = New-Object System.Collections.Generic.List[object]
try {

    # VM 1 of 1 (hyperv.json vms[0]): generation 1
    $vmName = 'storage'
    $vm = New-VM -Name $vmName -Generation 1 -MemoryStartupBytes 2048MB -NoVHD
    if ($null -eq $vm) { Stop-Import "New-VM $vmName created nothing" }
    $created.Add($vm)
    Get-VMNetworkAdapter -VM $vm | Remove-VMNetworkAdapter
    Get-VMDvdDrive -VM $vm | Remove-VMDvdDrive
    Set-VMProcessor -VM $vm -Count 2
    Set-VMMemory -VM $vm -DynamicMemoryEnabled $false -StartupBytes 2048MB
    Add-ScsiControllers $vm 1
    $drive = Add-VMHardDiskDrive -VM $vm -ControllerType IDE -ControllerNumber 0 -ControllerLocation 0 -Path (Use-File 'appliance-d0.vhdx') -Passthru
    if ($null -eq $drive) { Stop-Import "IDE 0:0: no disk attached" }
    $bootDrive = $drive
    $drive = Add-VMHardDiskDrive -VM $vm -ControllerType IDE -ControllerNumber 0 -ControllerLocation 1 -Path (Use-File 'appliance-d1.vhdx') -Passthru
    if ($null -eq $drive) { Stop-Import "IDE 0:1: no disk attached" }
    $drive = Add-VMHardDiskDrive -VM $vm -ControllerType IDE -ControllerNumber 1 -ControllerLocation 1 -Path (Use-File 'appliance-d2.vhdx') -Passthru
    if ($null -eq $drive) { Stop-Import "IDE 1:1: no disk attached" }
    $drive = Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber 0 -ControllerLocation 0 -Path (Use-File 'appliance-d3.vhdx') -Passthru
    if ($null -eq $drive) { Stop-Import "SCSI 0:0: no disk attached" }
    $drive = Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber 0 -ControllerLocation 1 -Path (Use-File 'appliance-d4.vhdx') -Passthru
    if ($null -eq $drive) { Stop-Import "SCSI 0:1: no disk attached" }
    $dvd = Add-VMDvdDrive -VM $vm -ControllerNumber 1 -ControllerLocation 0 -Path (Use-File 'appliance-env.iso') -Passthru
    if ($null -eq $dvd) { Stop-Import "IDE 1:0: no DVD drive added" }
    $nic = Add-VMNetworkAdapter -VM $vm -Name 'net0' -Passthru
    if ($null -eq $nic) { Stop-Import "net0: no network adapter added" }
    Connect-VMNetworkAdapter -VMNetworkAdapter $nic -VMSwitch $switches[0]
    Set-VMBios -VM $vm -StartupOrder @('IDE', 'CD', 'LegacyNetworkAdapter', 'Floppy')
    Write-Output "import.ps1: created VM '$vmName'"
} catch {
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
