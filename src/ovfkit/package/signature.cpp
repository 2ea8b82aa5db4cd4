#include <memory>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ovfkit/base/text.hpp>
#include <ovfkit/package/signature.hpp>

namespace ovfkit::package {

namespace {

template <class T, void (*F)(T*)>
struct Deleter {
    void operator()(T* p) const { F(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;

void free_x509_stack(STACK_OF(X509) * s) {
    sk_X509_pop_free(s, X509_free);
}
using X509StackPtr = std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), free_x509_stack>>;

// OpenSSL's queued errors as one line (and the queue emptied).
std::string openssl_error() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        out = buf; // the last is the most specific
    }
    return out.empty() ? "unknown OpenSSL error" : out;
}

std::vector<X509Ptr> read_certificates(std::string_view pem) {
    std::vector<X509Ptr> out;
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    while (bio) {
        X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
        if (x == nullptr) {
            break;
        }
        out.emplace_back(x);
    }
    ERR_clear_error(); // the end of the PEM stream is reported as an error
    return out;
}

std::string name_text(const X509_NAME* name) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
        return {};
    }
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(n));
}

std::string time_text(const ASN1_TIME* t) {
    struct tm tm {};
    if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
        return {};
    }
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string trust_reason(int err) {
    switch (err) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        return "self-signed";
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: // the chain ends at a root not trusted
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return "unknown CA";
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return "expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return "not yet valid";
    default:
        return X509_verify_cert_error_string(err);
    }
}

} // namespace

Result<CertificateFile> parse_certificate_file(std::span<const std::byte> bytes,
                                               std::string_view name) {
    if (bytes.size() > k_max_certificate_bytes) {
        return fail(Errc::refused, "{}: certificate file is {} bytes, more than the {} byte limit",
                    name, bytes.size(), k_max_certificate_bytes);
    }
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    size_t eol = text.find('\n');
    if (eol == std::string_view::npos) {
        return fail(Errc::refused, "{}:1: no signature line followed by certificates", name);
    }
    // "ALG(name.mf)= hex": the manifest's grammar, with a signature where
    // the manifest has a digest.
    std::string_view first = text.substr(0, eol);
    if (!first.empty() && first.back() == '\r') {
        first.remove_suffix(1);
    }
    auto open = first.find('(');
    auto eq = first.rfind('=');
    auto close = eq == std::string_view::npos ? eq : first.rfind(')', eq);
    auto algorithm =
        open == std::string_view::npos ? std::nullopt : io::digest_from_name(first.substr(0, open));
    if (!algorithm || close == std::string_view::npos || close < open || close + 1 != eq) {
        return fail(Errc::refused, "{}:1: not a signature line (expected \"SHA256(name.mf)= hex\")",
                    name);
    }
    CertificateFile out;
    out.algorithm = *algorithm;
    out.manifest_name = std::string(first.substr(open + 1, close - open - 1));
    std::string_view hex = first.substr(eq + 1);
    int hi = -1;
    for (char c : hex) {
        if (c == ' ' || c == '\t' || c == '\r') {
            continue;
        }
        int v = hex_digit(c);
        if (v < 0) {
            return fail(Errc::refused, "{}:1: the signature is not hex", name);
        }
        if (hi < 0) {
            hi = v;
        } else {
            out.signature.push_back(static_cast<unsigned char>(hi * 16 + v));
            hi = -1;
        }
    }
    if (hi >= 0 || out.signature.empty()) {
        return fail(Errc::refused, "{}:1: the signature is not a whole number of hex bytes", name);
    }
    out.certificates = std::string(text.substr(eol + 1));
    if (read_certificates(out.certificates).empty()) {
        return fail(Errc::refused, "{}: no PEM certificate follows the signature line", name);
    }
    return out;
}

SignatureStatus verify_signature(const CertificateFile& cert, std::span<const std::byte> manifest,
                                 std::string_view manifest_name, const TrustOptions& trust) {
    SignatureStatus st;
    auto certs = read_certificates(cert.certificates);
    if (certs.empty()) {
        st.reason = "no certificate";
        return st;
    }
    X509* signer = certs.front().get();
    st.subject = name_text(X509_get_subject_name(signer));
    st.issuer = name_text(X509_get_issuer_name(signer));
    st.not_after = time_text(X509_get0_notAfter(signer));
    if (cert.manifest_name != manifest_name) {
        st.reason = fmt::format("the certificate signs {}, not the package's manifest {}",
                                cert.manifest_name, manifest_name);
        return st;
    }
    EVP_PKEY* key = X509_get0_pubkey(signer);
    MdCtxPtr md(EVP_MD_CTX_new());
    if (key == nullptr || !md ||
        EVP_DigestVerifyInit(md.get(), nullptr, io::digest_md(cert.algorithm), nullptr, key) != 1) {
        st.reason = "the signer's key cannot verify: " + openssl_error();
        return st;
    }
    int ok =
        EVP_DigestVerify(md.get(), cert.signature.data(), cert.signature.size(),
                         reinterpret_cast<const unsigned char*>(manifest.data()), manifest.size());
    if (ok != 1) {
        ERR_clear_error();
        st.reason = "the signature does not match the manifest";
        return st;
    }
    st.valid = true;
    // Key usage, when stated, must allow signatures; an extended key usage,
    // when stated, must allow code signing.
    uint32_t ku = X509_get_key_usage(signer);
    if (ku != UINT32_MAX && (ku & KU_DIGITAL_SIGNATURE) == 0) {
        st.reason = "the signer's key usage does not allow digital signatures";
        return st;
    }
    uint32_t xku = X509_get_extended_key_usage(signer);
    if (xku != UINT32_MAX && (xku & XKU_CODE_SIGN) == 0) {
        st.reason = "the signer's extended key usage does not include code signing";
        return st;
    }
    StorePtr store(X509_STORE_new());
    if (!store) {
        st.reason = openssl_error();
        return st;
    }
    bool loaded = trust.ca_file.empty()
                      ? X509_STORE_set_default_paths(store.get()) == 1
                      : X509_STORE_load_file(store.get(), trust.ca_file.c_str()) == 1;
    if (!loaded) {
        st.reason =
            fmt::format("the trust store {} does not load: {}",
                        trust.ca_file.empty() ? "(the system's)" : trust.ca_file, openssl_error());
        return st;
    }
    X509StackPtr chain(sk_X509_new_null());
    for (size_t i = 1; i < certs.size(); ++i) {
        X509_up_ref(certs[i].get());
        sk_X509_push(chain.get(), certs[i].get());
    }
    StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), signer, chain.get()) != 1) {
        st.reason = openssl_error();
        return st;
    }
    X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_X509_STRICT);
    if (trust.at) {
        X509_STORE_CTX_set_time(ctx.get(), 0, *trust.at);
    }
    if (X509_verify_cert(ctx.get()) == 1) {
        st.trusted = true;
    } else {
        st.reason = trust_reason(X509_STORE_CTX_get_error(ctx.get()));
    }
    ERR_clear_error();
    return st;
}

Result<std::string> sign_manifest(std::span<const std::byte> manifest,
                                  std::string_view manifest_name, const std::string& key_pem_file,
                                  const std::string& cert_pem_file, DigestAlgorithm algorithm) {
    BioPtr key_bio(BIO_new_file(key_pem_file.c_str(), "r"));
    KeyPtr key(key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr)
                       : nullptr);
    if (!key) {
        return fail(Errc::usage, "{}: not a readable PEM private key ({})", key_pem_file,
                    openssl_error());
    }
    BioPtr cert_bio(BIO_new_file(cert_pem_file.c_str(), "r"));
    std::string pem;
    if (cert_bio) {
        char buf[4096];
        int n = 0;
        while ((n = BIO_read(cert_bio.get(), buf, sizeof buf)) > 0 &&
               pem.size() <= k_max_certificate_bytes) {
            pem.append(buf, static_cast<size_t>(n));
        }
    }
    auto certs = read_certificates(pem);
    if (certs.empty()) {
        return fail(Errc::usage, "{}: no PEM certificate", cert_pem_file);
    }
    if (X509_check_private_key(certs.front().get(), key.get()) != 1) {
        ERR_clear_error();
        return fail(Errc::usage, "{}: the key is not the one of the certificate in {}",
                    key_pem_file, cert_pem_file);
    }
    MdCtxPtr md(EVP_MD_CTX_new());
    size_t len = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(manifest.data());
    if (!md ||
        EVP_DigestSignInit(md.get(), nullptr, io::digest_md(algorithm), nullptr, key.get()) != 1 ||
        EVP_DigestSign(md.get(), nullptr, &len, data, manifest.size()) != 1) {
        return fail(Errc::usage, "{}: cannot sign with this key: {}", key_pem_file,
                    openssl_error());
    }
    std::vector<unsigned char> sig(len);
    if (EVP_DigestSign(md.get(), sig.data(), &len, data, manifest.size()) != 1) {
        return fail(Errc::io, "signing failed: {}", openssl_error());
    }
    sig.resize(len);
    std::string out = fmt::format("{}({})= ", io::digest_name(algorithm), manifest_name);
    for (unsigned char b : sig) {
        out += fmt::format("{:02x}", b);
    }
    out += '\n';
    // The certificates re-encoded, signer first: no stray text travels along.
    for (const auto& c : certs) {
        BioPtr bio(BIO_new(BIO_s_mem()));
        PEM_write_bio_X509(bio.get(), c.get());
        char* p = nullptr;
        long n = BIO_get_mem_data(bio.get(), &p);
        out.append(p, static_cast<size_t>(n));
    }
    return out;
}

} // namespace ovfkit::package
