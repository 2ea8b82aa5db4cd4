// MAC addresses as the plan carries them (PlanNic::mac): six octets of two
// hex digits, either case, separated by ':'. What each platform then takes
// (unicast only, its own ranges) is its map's business.
#pragma once

#include <string_view>

namespace ovfkit::platform {

// XX:XX:XX:XX:XX:XX.
bool is_mac_address(std::string_view text);

// XX:XX:XX:XX:XX:XX with the group bit (bit 0 of the first octet) clear:
// an address one NIC can own; multicast addresses are refused by libvirt,
// xapi and Proxmox alike.
bool is_unicast_mac(std::string_view text);

} // namespace ovfkit::platform
