// Builds the Envelope of a small descriptor for the platform tests: one
// VirtualSystem whose OperatingSystemSection, VirtualHardwareSection and
// trailing sections are given as XML text.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ovf/xml_reader.hpp>

namespace ovfkit::platform::test {

inline ovf::Envelope envelope_of(const std::string& os_children, const std::string& hardware,
                                 const std::string& sections = "",
                                 const std::string& os_attributes = "") {
    std::string text = "<?xml version=\"1.0\"?>\n"
                       "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\"\n"
                       "    xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\"\n"
                       "    xmlns:vmw=\"http://www.vmware.com/schema/ovf\"\n"
                       "    xmlns:vbox=\"http://www.virtualbox.org/ovf/machine\">\n"
                       "  <References/>\n"
                       "  <VirtualSystem ovf:id=\"vm\">\n"
                       "    <Info>A virtual machine</Info>\n"
                       "    <OperatingSystemSection ovf:id=\"96\"" +
                       os_attributes +
                       ">\n"
                       "      <Info>The guest</Info>\n" +
                       os_children + "    </OperatingSystemSection>\n" +
                       (hardware.empty() ? std::string()
                                         : "    <VirtualHardwareSection>\n"
                                           "      <Info>Hardware</Info>\n" +
                                               hardware + "    </VirtualHardwareSection>\n") +
                       sections +
                       "  </VirtualSystem>\n"
                       "</Envelope>\n";
    Diagnostics diag;
    auto env =
        ovf::read_envelope(std::as_bytes(std::span(text.data(), text.size())), "t.ovf", diag);
    EXPECT_TRUE(env) << (env ? "" : env.error().message);
    return env ? std::move(*env) : ovf::Envelope{};
}

inline const ovf::VirtualHardwareSection* first_hardware(const ovf::Envelope& env) {
    auto sections = env.content.find_all<ovf::VirtualHardwareSection>();
    return sections.empty() ? nullptr : sections.front();
}

inline const ovf::OperatingSystemSection& os_of(const ovf::Envelope& env) {
    const auto* os = env.content.find<ovf::OperatingSystemSection>();
    EXPECT_NE(os, nullptr);
    static const ovf::OperatingSystemSection k_none;
    return os ? *os : k_none;
}

} // namespace ovfkit::platform::test
