// Builds an Envelope from descriptor text for the deploy tests.
#pragma once

#include <span>
#include <string>

#include <gtest/gtest.h>

#include <ovfkit/base/diagnostics.hpp>
#include <ovfkit/ovf/xml_reader.hpp>

namespace ovfkit::deploy::test {

// `body` goes inside <Envelope> after <References/>.
inline ovf::Envelope envelope_of(const std::string& body, const std::string& lang = "") {
    std::string text = "<?xml version=\"1.0\"?>\n"
                       "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\"\n"
                       "    xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\"" +
                       (lang.empty() ? std::string() : " xml:lang=\"" + lang + "\"") +
                       ">\n"
                       "  <References/>\n" +
                       body + "</Envelope>\n";
    Diagnostics diag;
    auto env =
        ovf::read_envelope(std::as_bytes(std::span(text.data(), text.size())), "t.ovf", diag);
    EXPECT_TRUE(env) << (env ? "" : env.error().message);
    return env ? std::move(*env) : ovf::Envelope{};
}

// One VirtualSystem "vm" whose ProductSection (with `product_attributes`)
// holds `properties`; `sections` go before the VirtualSystem.
inline ovf::Envelope system_with(const std::string& properties,
                                 const std::string& product_attributes = "",
                                 const std::string& sections = "") {
    return envelope_of(sections +
                       "  <VirtualSystem ovf:id=\"vm\">\n"
                       "    <Info>vm</Info>\n"
                       "    <ProductSection" +
                       product_attributes + ">\n      <Info>p</Info>\n" + properties +
                       "    </ProductSection>\n"
                       "  </VirtualSystem>\n");
}

} // namespace ovfkit::deploy::test
