// libFuzzer target for the deployment inputs: any descriptor that reads
// gives, for every virtual system and collection, an ovf-env.xml that the
// hardened reader parses back with each property's key and value intact
// (text XML cannot hold excepted), and re-setting every user-configurable
// property to its own default either succeeds or fails as usage/invalid,
// never otherwise. Anything else aborts so the fuzzer reports it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include <ovfkit/deploy/environment.hpp>
#include <ovfkit/deploy/eula.hpp>
#include <ovfkit/deploy/properties.hpp>
#include <ovfkit/ovf/xml_reader.hpp>
#include <ovfkit/xml/document.hpp>

namespace {

using namespace ovfkit;

constexpr std::string_view k_oe = "http://schemas.dmtf.org/ovf/environment/1";

void ids(const ovf::Content& c, std::vector<std::string>& out, uint32_t depth) {
    out.push_back(c.id);
    if (depth < ovf::k_max_collection_depth) {
        for (const auto& child : c.children) {
            ids(child, out, depth + 1);
        }
    }
}

// Text the environment writes unchanged: valid UTF-8 (the reader
// guarantees it) without C0 controls other than tab, newline and CR.
bool plain(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') {
            return false;
        }
    }
    return true;
}

void check_environment(const ovf::Envelope& env, const std::string& id,
                       const std::vector<deploy::PropertyValue>& values) {
    std::string xml = deploy::environment_xml(env, id, values);
    auto doc = xml::Document::parse(std::string_view(xml), "ovf-env.xml");
    if (!doc || !doc->root().is(k_oe, "Environment")) {
        std::abort();
    }
    if (plain(id) && doc->root().attribute(k_oe, "id") != id) {
        std::abort();
    }
    auto section = doc->root().first_child(k_oe, "PropertySection");
    if (!section) {
        std::abort();
    }
    for (const auto& p : section.children()) {
        auto key = p.attribute(k_oe, "key");
        auto value = p.attribute(k_oe, "value");
        if (!key || !value) {
            std::abort();
        }
        bool found = false;
        for (const auto& v : values) {
            if (!plain(v.key) || !plain(v.value)) {
                found = true; // replaced characters: only well-formedness is promised
                break;
            }
            if (v.key == *key && v.value == *value) {
                found = true;
                break;
            }
        }
        if (!found) {
            std::abort();
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > (size_t{4} << 20)) {
        return 0;
    }
    Diagnostics diag;
    auto env = ovf::read_envelope(std::as_bytes(std::span(data, size)), "fuzz.ovf", diag);
    if (!env) {
        return 0;
    }
    auto option = deploy::choose_deployment_option(*env, std::nullopt);
    if (!option) {
        std::abort(); // never fails without a wanted id
    }
    auto resolved = deploy::resolve_properties(*env, *option, {});
    if (!resolved) {
        std::abort(); // never fails without overrides
    }
    std::vector<std::pair<std::string, std::string>> overrides;
    for (const auto& v : resolved->values) {
        if (v.user_configurable && !v.value.empty()) {
            overrides.emplace_back(v.key, v.value);
        }
    }
    auto again = deploy::resolve_properties(*env, *option, overrides);
    if (!again && again.error().code != Errc::usage && again.error().code != Errc::invalid) {
        std::abort();
    }
    std::vector<std::string> contents;
    ids(env->content, contents, 0);
    for (const auto& id : contents) {
        check_environment(*env, id, resolved->values);
    }
    for (const auto& e : deploy::eulas(*env)) {
        if (e.sha256.size() != 64) {
            std::abort();
        }
    }
    return 0;
}
