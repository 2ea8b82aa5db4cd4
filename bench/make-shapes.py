#!/usr/bin/env python3
"""bench/make-shapes.py OUTDIR [SCALE]

Writes valid-or-invalid OVF descriptors in the shapes that make a naive
validator quadratic, each close to SCALE times its base size:

  parent-chain.ovf       45,000 controllers, each the rasd:Parent of the next
  parent-cycle.ovf       20,000 controllers whose Parents form one cycle
  parentref-cycle.ovf    20,000 disks whose ovf:parentRef form one cycle
  hostresources.ovf      one disk drive item with 50,000 HostResources
  configurations.ovf     1,400 deployment options x 1,400 items, each item in
                         every option (ovf:configuration lists them all)
  systems.ovf            1,000 virtual systems x 21 items (the baseline)

SCALE (default 1.0) multiplies every count, so tests can make small ones.
"""
import os
import sys

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
 xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
 xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
 xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
"""


def system_open(out, vid="vm"):
    out.write(f'<VirtualSystem ovf:id="{vid}"><Info>x</Info>'
              "<VirtualHardwareSection><Info>x</Info>\n")


def system_close(out):
    out.write("</VirtualHardwareSection></VirtualSystem>\n")


def item(out, iid, rtype, extra="", name=True):
    label = f"<rasd:ElementName>i{iid}</rasd:ElementName>" if name else ""
    out.write(f"<Item>{label}<rasd:InstanceID>{iid}</rasd:InstanceID>{extra}"
              f"<rasd:ResourceType>{rtype}</rasd:ResourceType></Item>\n")


def parent_chain(out, n):
    out.write(HEAD + "<References/>\n")
    system_open(out)
    for i in range(n):
        item(out, i + 1, 6, f"<rasd:Parent>{i}</rasd:Parent>" if i else "", name=False)
    system_close(out)
    out.write("</Envelope>\n")


def parent_cycle(out, n):
    out.write(HEAD + "<References/>\n")
    system_open(out)
    for i in range(n):
        item(out, i + 1, 6, f"<rasd:Parent>{(i + 1) % n + 1}</rasd:Parent>", name=False)
    system_close(out)
    out.write("</Envelope>\n")


def parentref_cycle(out, n):
    out.write(HEAD + "<References/>\n<DiskSection><Info>x</Info>\n")
    for i in range(n):
        out.write(f'<Disk ovf:diskId="d{i}" ovf:capacity="1048576" '
                  f'ovf:parentRef="d{(i + 1) % n}"/>\n')
    out.write("</DiskSection>\n")
    system_open(out)
    item(out, 1, 6)
    system_close(out)
    out.write("</Envelope>\n")


def hostresources(out, n):
    out.write(HEAD + "<References/>\n<DiskSection><Info>x</Info>\n")
    out.write('<Disk ovf:diskId="d0" ovf:capacity="1048576"/>\n</DiskSection>\n')
    system_open(out)
    item(out, 1, 6)
    hr = "".join("<rasd:HostResource>ovf:/disk/d0</rasd:HostResource>" for _ in range(n))
    item(out, 2, 17, hr + "<rasd:Parent>1</rasd:Parent><rasd:AddressOnParent>0</rasd:AddressOnParent>")
    system_close(out)
    out.write("</Envelope>\n")


def configurations(out, n):
    out.write(HEAD + "<References/>\n<DeploymentOptionSection><Info>x</Info>\n")
    ids = [f"c{i}" for i in range(n)]
    for c in ids:
        out.write(f'<Configuration ovf:id="{c}"><Label>{c}</Label><Description>x</Description>'
                  "</Configuration>\n")
    out.write("</DeploymentOptionSection>\n")
    system_open(out)
    listed = " ".join(ids)
    item(out, 1, 6)
    for i in range(n):
        out.write(f'<Item ovf:configuration="{listed}"><rasd:ElementName>e</rasd:ElementName>'
                  f"<rasd:InstanceID>{i + 2}</rasd:InstanceID><rasd:Parent>1</rasd:Parent>"
                  f"<rasd:AddressOnParent>{i % 15}</rasd:AddressOnParent>"
                  "<rasd:ResourceType>15</rasd:ResourceType></Item>\n")
    system_close(out)
    out.write("</Envelope>\n")


def systems(out, n):
    out.write(HEAD + "<References/>\n<VirtualSystemCollection ovf:id=\"all\"><Info>x</Info>\n")
    for s in range(n):
        system_open(out, f"vm{s}")
        item(out, 1, 3, "<rasd:VirtualQuantity>2</rasd:VirtualQuantity>")
        item(out, 2, 4, "<rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>"
                        "<rasd:VirtualQuantity>512</rasd:VirtualQuantity>")
        item(out, 3, 6)
        item(out, 4, 5)
        for i in range(17):  # units 0-6 and 8-15 on the SCSI bus, 0-1 on the IDE one
            if i < 15:
                unit = i if i < 7 else i + 1
                item(out, i + 5, 15, "<rasd:Parent>3</rasd:Parent>"
                                     f"<rasd:AddressOnParent>{unit}</rasd:AddressOnParent>")
            else:
                item(out, i + 5, 15, "<rasd:Parent>4</rasd:Parent>"
                                     f"<rasd:AddressOnParent>{i - 15}</rasd:AddressOnParent>")
        system_close(out)
    out.write("</VirtualSystemCollection>\n</Envelope>\n")


SHAPES = {
    "parent-chain": (parent_chain, 45000),
    "parent-cycle": (parent_cycle, 20000),
    "parentref-cycle": (parentref_cycle, 20000),
    "hostresources": (hostresources, 50000),
    "configurations": (configurations, 1400),
    "systems": (systems, 1000),
}


def main():
    outdir = sys.argv[1]
    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    os.makedirs(outdir, exist_ok=True)
    for name, (make, count) in SHAPES.items():
        n = max(2, int(count * scale))
        if name == "configurations":
            n = max(2, int(count * scale ** 0.5))  # the file grows with the square
        with open(os.path.join(outdir, name + ".ovf"), "w") as out:
            make(out, n)


if __name__ == "__main__":
    main()
