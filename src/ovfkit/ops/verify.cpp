#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <oneapi/tbb/parallel_for.h>

#include <ovfkit/io/sink.hpp>
#include <ovfkit/ops/json.hpp>
#include <ovfkit/ops/source.hpp>
#include <ovfkit/ops/verify.hpp>
#include <ovfkit/ovf/validate.hpp>
#include <ovfkit/package/references.hpp>

namespace ovfkit::ops {

namespace {

constexpr size_t k_hash_buffer = size_t{4} << 20;

struct Work {
    std::string name;
    uint64_t size = 0;
    std::string digest; // lower-case hex, once hashed
    std::optional<Error> error;
};

// The hex digest of what `feed` writes into a DigestSink.
template <class Feed>
Result<std::string> digest(const std::string& name, io::DigestAlgorithm algorithm, Feed feed) {
    io::NullSink nowhere(name);
    OVFKIT_TRY_ASSIGN(auto sink, io::DigestSink::create(nowhere, algorithm));
    OVFKIT_TRY(feed(*sink));
    OVFKIT_TRY(sink->finish());
    return sink->hex_digest();
}

} // namespace

Result<std::vector<CoveredFile>> manifest_coverage(const package::Source& src,
                                                   const ovf::Envelope& env, Diagnostics& diag) {
    std::vector<CoveredFile> out;
    std::optional<package::MemberLookup> lookup; // listed once, when a file is chunked
    for (const auto& f : env.references.files) {
        auto member = ovf::href_member(f.href);
        if (!member) {
            diag.error("MF-HREF", member.error().message, src.descriptor_name(), f.line.number);
            continue;
        }
        if (!f.chunk_size) {
            OVFKIT_TRY_ASSIGN(auto size, src.file_size(*member));
            if (size) {
                out.push_back({*member, *size});
            }
            continue;
        }
        if (!lookup) {
            OVFKIT_TRY_ASSIGN(lookup, package::member_lookup(src));
        }
        // The chunks' structure only; ovf:size is validate's business.
        ovf::File stored = f;
        stored.href = *member;
        stored.size.reset();
        auto layout = package::stored_layout(*lookup, stored);
        if (layout) {
            for (const auto& p : layout->parts) {
                out.push_back({p.name, p.size});
            }
            continue;
        }
        if (layout.error().code == Errc::io) {
            continue; // absent: the manifest check reports its lines
        }
        diag.error("MF-CHUNKS", layout.error().message, src.descriptor_name(), f.line.number);
        // Still hash what is there, so the report names every chunk.
        for (const auto& name : lookup->names) {
            if (package::chunk_index(*member, name)) {
                OVFKIT_TRY_ASSIGN(auto size, src.file_size(name));
                if (size) {
                    out.push_back({name, *size});
                }
            }
        }
    }
    return out;
}

Result<void> check_package_layout(const package::Source& src, const ovf::Envelope& env, bool strict,
                                  Diagnostics& diag) {
    Diagnostics ignored; // href errors are reported by whoever reads the references
    OVFKIT_TRY_ASSIGN(auto covered, manifest_coverage(src, env, ignored));
    if (const package::TarIndex* tar = src.tar()) {
        std::set<std::string> known = {src.descriptor_name(),
                                       descriptor_sibling(src.descriptor_name(), ".mf"),
                                       descriptor_sibling(src.descriptor_name(), ".cert")};
        for (const auto& c : covered) {
            known.insert(c.name);
        }
        for (const auto& m : tar->members()) {
            if (known.contains(m.name)) {
                continue;
            }
            std::string msg = fmt::format("member '{}' ({} bytes) is not referenced by the "
                                          "descriptor; it is not part of the appliance and is "
                                          "never unpacked",
                                          m.name, m.size);
            if (strict) {
                diag.error("PKG-UNREFERENCED", msg, src.path());
            } else {
                diag.warning("PKG-UNREFERENCED", msg, src.path());
            }
        }
        return {};
    }
    for (const auto& c : covered) {
        if (auto links = src.link_count(c.name); links && *links > 1) {
            diag.warning("PKG-HARDLINK",
                         fmt::format("{} has {} hard links: the same bytes are another file too, "
                                     "and change when it changes",
                                     c.name, *links),
                         c.name);
        }
    }
    return {};
}

int VerifyReport::exit_code() const {
    bool errors = std::any_of(findings.begin(), findings.end(),
                              [](const Finding& f) { return f.severity == Severity::error; });
    bool ok = manifest_ok && !errors && (!signature || signature->valid) &&
              (!require_trust || (signature && signature->trusted));
    return ok ? 0 : static_cast<int>(Errc::refused);
}

Result<VerifyReport> verify_package(const VerifyOptions& options, const JobControl& control) {
    Diagnostics diag;
    OVFKIT_TRY_ASSIGN(package::Source src,
                      open_package(options.source, diag, options.remote, &control));
    OVFKIT_TRY_ASSIGN(ovf::Envelope env,
                      ovf::read_descriptor(src.descriptor(), src.descriptor_name(), diag));
    OVFKIT_TRY(check_package_layout(src, env, options.strict, diag));
    return verify_source(src, env, options, control, diag);
}

Result<VerifyReport> verify_source(const package::Source& src, const ovf::Envelope& env,
                                   const VerifyOptions& options, const JobControl& control,
                                   Diagnostics& diag) {
    VerifyReport report;
    report.source = options.source;
    report.descriptor = src.descriptor_name();
    report.require_trust = options.require_trust;

    std::string mf_name = descriptor_sibling(src.descriptor_name(), ".mf");
    OVFKIT_TRY_ASSIGN(auto mf_bytes,
                      read_package_file(src, mf_name, package::k_max_manifest_bytes));
    if (!mf_bytes) {
        diag.error(
            "MF-ABSENT",
            fmt::format("the package has no manifest {}: its files cannot be verified", mf_name),
            report.source, 0);
        report.findings = diag.findings();
        return report;
    }
    report.manifest = mf_name;
    auto manifest = package::parse_manifest(*mf_bytes, mf_name, diag);
    if (!manifest) {
        diag.error("MF-SYNTAX", manifest.error().message, mf_name, 0);
        report.findings = diag.findings();
        return report;
    }
    // One algorithm throughout, as every producer writes it.
    package::DigestAlgorithm algorithm = manifest->entries.empty()
                                             ? package::DigestAlgorithm::sha256
                                             : manifest->entries.front().algorithm;
    for (const auto& e : manifest->entries) {
        if (e.algorithm != algorithm) {
            diag.error("MF-ALGORITHM",
                       fmt::format("{} uses {} where the manifest's first line uses {}", e.name,
                                   io::digest_name(e.algorithm), io::digest_name(algorithm)),
                       mf_name, e.line);
        }
    }
    if (algorithm == package::DigestAlgorithm::sha1) {
        if (options.strict) {
            diag.error("MF-SHA1",
                       "the manifest uses SHA-1, which no longer resists forgery (--strict)",
                       mf_name, 0);
        } else {
            diag.warning("MF-SHA1", "the manifest uses SHA-1, which no longer resists forgery",
                         mf_name, 0);
        }
    }

    OVFKIT_TRY_ASSIGN(auto coverage, manifest_coverage(src, env, diag));
    std::vector<Work> work;
    for (auto& c : coverage) {
        work.push_back({std::move(c.name), c.size, {}, {}});
    }
    uint64_t total = 0;
    for (const auto& w : work) {
        total += w.size;
    }
    std::atomic<uint64_t> done{0};
    std::mutex progress_mutex;
    tbb::parallel_for(size_t{0}, work.size(), [&](size_t i) {
        Work& w = work[i];
        auto fail_with = [&](Error e) { w.error = std::move(e); };
        auto file = src.open_file(w.name);
        if (!file) {
            return fail_with(file.error());
        }
        std::vector<std::byte> buf(
            std::min<uint64_t>(k_hash_buffer, std::max<uint64_t>(w.size, 1)));
        auto hashed = digest(w.name, algorithm, [&](io::Sink& sink) -> Result<void> {
            for (uint64_t pos = 0; pos < w.size;) {
                if (control.cancel.cancelled()) {
                    return fail(cancelled_error(w.name));
                }
                size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), w.size - pos));
                OVFKIT_TRY(io::read_exact(**file, std::span(buf).first(n), pos));
                OVFKIT_TRY(sink.write(std::span(buf).first(n)));
                pos += n;
                uint64_t now = done.fetch_add(n) + n;
                if (control.progress) {
                    std::lock_guard lock(progress_mutex);
                    control.report("hashing", now, total);
                }
            }
            return {};
        });
        if (!hashed) {
            return fail_with(hashed.error());
        }
        w.digest = *hashed;
    });
    std::vector<package::FileDigest> computed;
    OVFKIT_TRY_ASSIGN(std::string descriptor_digest, io::hex_digest(src.descriptor(), algorithm));
    computed.push_back({src.descriptor_name(), descriptor_digest});
    for (auto& w : work) {
        if (w.error) {
            if (control.cancel.cancelled()) {
                return fail(std::move(*w.error));
            }
            diag.error("MF-READ", w.error->message, w.name, 0);
            continue;
        }
        computed.push_back({w.name, w.digest});
    }
    Diagnostics mf_diag;
    report.files = package::check_manifest(*manifest, mf_name, computed, mf_diag);
    bool sha1_refused = options.strict && algorithm == package::DigestAlgorithm::sha1;
    report.manifest_ok =
        !mf_diag.has_errors() && !sha1_refused &&
        std::all_of(report.files.begin(), report.files.end(), [](const auto& f) { return f.ok; });
    for (const auto& f : mf_diag.findings()) {
        diag.add(f);
    }
    // Errors found before the check (a file that could not be read, mixed
    // algorithms) also mean the manifest does not verify.
    for (const auto& f : diag.findings()) {
        if (f.severity == Severity::error && f.code.starts_with("MF-")) {
            report.manifest_ok = false;
        }
    }

    std::string cert_name = descriptor_sibling(src.descriptor_name(), ".cert");
    OVFKIT_TRY_ASSIGN(auto cert_bytes,
                      read_package_file(src, cert_name, package::k_max_certificate_bytes));
    if (cert_bytes) {
        report.certificate = cert_name;
        auto cert = package::parse_certificate_file(*cert_bytes, cert_name);
        if (!cert) {
            package::SignatureStatus st;
            st.reason = cert.error().message;
            report.signature = st;
            diag.error("CERT-SYNTAX", cert.error().message, cert_name, 0);
        } else {
            report.signature =
                package::verify_signature(*cert, *mf_bytes, mf_name, {options.trust, std::nullopt});
            const auto& st = *report.signature;
            if (!st.valid) {
                diag.error("CERT-INVALID", "the signature is not valid: " + st.reason, cert_name,
                           0);
            } else if (!st.trusted) {
                std::string msg = fmt::format("the signature is valid but its signer is not "
                                              "trusted: {} ({})",
                                              st.reason, st.subject);
                if (options.require_trust) {
                    diag.error("CERT-UNTRUSTED", msg, cert_name, 0);
                } else {
                    diag.warning("CERT-UNTRUSTED", msg, cert_name, 0);
                }
            }
        }
    } else if (options.require_trust) {
        diag.error("CERT-ABSENT", "the package is not signed (--require-trust)", report.source, 0);
    }
    report.findings = diag.findings();
    return report;
}

namespace {

nlohmann::json signature_json(const VerifyReport& r) {
    nlohmann::json signature = {{"present", r.signature.has_value()}};
    if (r.signature) {
        const auto& s = *r.signature;
        signature.update({{"valid", s.valid},
                          {"trusted", s.trusted},
                          {"subject", s.subject},
                          {"issuer", s.issuer},
                          {"not_after", s.not_after},
                          {"reason", s.reason}});
    }
    return signature;
}

} // namespace

nlohmann::json to_json(const VerifyReport& r) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : r.files) {
        files.push_back({{"name", f.name},
                         {"algorithm", io::digest_name(f.algorithm)},
                         {"listed", f.listed},
                         {"present", f.present},
                         {"ok", f.ok}});
    }
    nlohmann::json doc = json_document();
    doc.update({{"source", r.source},
                {"descriptor", r.descriptor},
                {"manifest", optional_json(r.manifest)},
                {"manifest_ok", r.manifest_ok},
                {"certificate", optional_json(r.certificate)},
                {"signature", signature_json(r)},
                {"files", files},
                {"verified", r.exit_code() == 0},
                {"findings", findings_json(r.findings)}});
    return doc;
}

nlohmann::json integrity_json(const VerifyReport& r) {
    nlohmann::json failed = nlohmann::json::array();
    for (const auto& f : r.files) {
        if (!f.ok) {
            failed.push_back(f.name);
        }
    }
    nlohmann::json manifest = {{"present", r.manifest.has_value()}};
    if (r.manifest) {
        manifest.update({{"name", *r.manifest},
                         {"algorithm", r.files.empty() ? nlohmann::json(nullptr)
                                                       : nlohmann::json(io::digest_name(
                                                             r.files.front().algorithm))},
                         {"ok", r.manifest_ok},
                         {"failed", failed}});
    }
    return {{"manifest", manifest}, {"signature", signature_json(r)}};
}

std::string manifest_status_text(const VerifyReport& r) {
    if (!r.manifest) {
        return "none";
    }
    std::string algorithm = r.files.empty()
                                ? std::string("-")
                                : std::string(io::digest_name(r.files.front().algorithm));
    if (r.manifest_ok) {
        return fmt::format("{} ({}), {} file{}, all match", *r.manifest, algorithm, r.files.size(),
                           r.files.size() == 1 ? "" : "s");
    }
    std::string failed;
    for (const auto& f : r.files) {
        if (!f.ok) {
            failed += (failed.empty() ? "" : ", ") + f.name;
        }
    }
    return fmt::format("{} ({}), MISMATCH{}", *r.manifest, algorithm,
                       failed.empty() ? std::string() : ": " + failed);
}

std::string signature_status_text(const VerifyReport& r) {
    if (!r.signature) {
        return r.certificate ? "unreadable certificate" : "none (not signed)";
    }
    const auto& s = *r.signature;
    if (!s.valid) {
        return "INVALID: " + s.reason;
    }
    return fmt::format("valid, {}; signer {} (issuer {}, valid until {})",
                       s.trusted ? "trusted" : "signer not trusted: " + s.reason, s.subject,
                       s.issuer, s.not_after);
}

} // namespace ovfkit::ops
