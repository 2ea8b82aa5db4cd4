// Signatures made and checked with a test CA that `openssl` makes here: a
// trusted signer, another CA, a self-signed signer, expiry, tampering.
#include "support/temp_dir.hpp"
#include <gtest/gtest.h>

#include <ovfkit/package/signature.hpp>

namespace ovfkit::package {
namespace {

std::span<const std::byte> bytes_of(const std::string& s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

// Keys and certificates, made once for the whole suite.
class Signing : public testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = new test::TempDir();
        const std::string d = s_dir->path();
        auto sh = [&](const std::string& cmd) {
            std::string out;
            int rc = test::run("cd '" + d + "' && (" + cmd + ") 2>&1", &out);
            ASSERT_EQ(rc, 0) << cmd << "\n" << out;
        };
        const std::string ca_ext = "-addext basicConstraints=critical,CA:TRUE "
                                   "-addext keyUsage=critical,keyCertSign,cRLSign";
        for (const char* ca : {"ca", "other"}) {
            sh(fmt::format("openssl req -x509 -newkey rsa:2048 -nodes -keyout {0}.key -out {0}.pem "
                           "-days 3650 -subj '/CN=ovfkit test {0}' {1}",
                           ca, ca_ext));
        }
        sh("openssl req -newkey rsa:2048 -nodes -keyout signer.key -out signer.csr "
           "-subj '/CN=ovfkit test signer/O=ovfkit'");
        sh("printf 'keyUsage=critical,digitalSignature\\nextendedKeyUsage=codeSigning\\n"
           "authorityKeyIdentifier=keyid\\nsubjectKeyIdentifier=hash\\n' >signer.ext && "
           "openssl x509 -req -in signer.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
           "-days 365 -extfile signer.ext -out signer.pem");
        sh("cat signer.pem ca.pem >chain.pem");
        sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self.key "
           "-out self.pem -days 365 -subj '/CN=ovfkit self-signed'");
    }
    static void TearDownTestSuite() {
        delete s_dir;
        s_dir = nullptr;
    }
    static std::string file(const std::string& name) { return s_dir->file(name); }

    static CertificateFile sign(const std::string& mf, const std::string& key,
                                const std::string& cert,
                                DigestAlgorithm a = DigestAlgorithm::sha256) {
        auto text = sign_manifest(bytes_of(mf), "vm.mf", file(key), file(cert), a);
        EXPECT_TRUE(text) << text.error().message;
        auto parsed = parse_certificate_file(bytes_of(text.value_or("")), "vm.cert");
        EXPECT_TRUE(parsed) << parsed.error().message;
        return parsed.value_or(CertificateFile{});
    }

    static inline test::TempDir* s_dir = nullptr;
    const std::string m_mf = "SHA256(vm.ovf)= " + std::string(64, 'a') + "\n";
};

TEST_F(Signing, TrustedSignerVerifies) {
    auto cert = sign(m_mf, "signer.key", "chain.pem");
    auto st = verify_signature(cert, bytes_of(m_mf), "vm.mf", {file("ca.pem"), std::nullopt});
    EXPECT_TRUE(st.valid) << st.reason;
    EXPECT_TRUE(st.trusted) << st.reason;
    EXPECT_EQ(st.reason, "");
    EXPECT_NE(st.subject.find("CN=ovfkit test signer"), std::string::npos) << st.subject;
    EXPECT_NE(st.issuer.find("CN=ovfkit test ca"), std::string::npos) << st.issuer;
    EXPECT_EQ(st.not_after.size(), 20u) << st.not_after;
    EXPECT_EQ(cert.manifest_name, "vm.mf");
}

TEST_F(Signing, TheSignatureIsWhatOpensslDgstPrints) {
    // ovftool's manual recipe: openssl dgst -sha256 -sign key -hex vm.mf.
    test::write_text(file("vm.mf"), m_mf);
    std::string out;
    ASSERT_EQ(test::run("openssl dgst -sha256 -sign '" + file("signer.key") + "' -hex '" +
                            file("vm.mf") + "'",
                        &out),
              0);
    auto text = sign_manifest(bytes_of(m_mf), "vm.mf", file("signer.key"), file("signer.pem"));
    ASSERT_TRUE(text);
    std::string ours = text->substr(text->find("= ") + 2, text->find('\n') - text->find("= ") - 2);
    EXPECT_NE(out.find(ours), std::string::npos) << out << "\n" << ours;
    EXPECT_EQ(text->rfind("SHA256(vm.mf)= ", 0), 0u);
}

TEST_F(Signing, AnyChangeToTheManifestInvalidates) {
    auto cert = sign(m_mf, "signer.key", "chain.pem");
    std::string changed = m_mf;
    changed[20] = 'b';
    auto st = verify_signature(cert, bytes_of(changed), "vm.mf", {file("ca.pem"), std::nullopt});
    EXPECT_FALSE(st.valid);
    EXPECT_FALSE(st.trusted);
    EXPECT_EQ(st.reason, "the signature does not match the manifest");
    auto renamed =
        verify_signature(cert, bytes_of(m_mf), "other.mf", {file("ca.pem"), std::nullopt});
    EXPECT_FALSE(renamed.valid);
    EXPECT_NE(renamed.reason.find("not the package's manifest"), std::string::npos);
}

TEST_F(Signing, EachTrustFailureIsNamed) {
    auto cert = sign(m_mf, "signer.key", "chain.pem");
    auto other = verify_signature(cert, bytes_of(m_mf), "vm.mf", {file("other.pem"), std::nullopt});
    EXPECT_TRUE(other.valid);
    EXPECT_FALSE(other.trusted);
    EXPECT_EQ(other.reason, "unknown CA") << "the chain's own root is not the trusted one";
    auto leaf_only = sign(m_mf, "signer.key", "signer.pem");
    auto unknown =
        verify_signature(leaf_only, bytes_of(m_mf), "vm.mf", {file("other.pem"), std::nullopt});
    EXPECT_TRUE(unknown.valid);
    EXPECT_EQ(unknown.reason, "unknown CA");
    auto later = verify_signature(cert, bytes_of(m_mf), "vm.mf",
                                  {file("ca.pem"), time(nullptr) + 400 * 86400});
    EXPECT_TRUE(later.valid);
    EXPECT_EQ(later.reason, "expired");
    auto earlier = verify_signature(cert, bytes_of(m_mf), "vm.mf",
                                    {file("ca.pem"), time(nullptr) - 86400 * 2});
    EXPECT_EQ(earlier.reason, "not yet valid");
    auto self = sign(m_mf, "self.key", "self.pem", DigestAlgorithm::sha512);
    auto st = verify_signature(self, bytes_of(m_mf), "vm.mf", {file("ca.pem"), std::nullopt});
    EXPECT_TRUE(st.valid) << "an ECDSA signature: " << st.reason;
    EXPECT_FALSE(st.trusted);
    EXPECT_EQ(st.reason, "self-signed");
}

TEST_F(Signing, RefusesKeysAndFilesThatDoNotFit) {
    auto wrong = sign_manifest(bytes_of(m_mf), "vm.mf", file("other.key"), file("signer.pem"));
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, Errc::usage);
    EXPECT_FALSE(sign_manifest(bytes_of(m_mf), "vm.mf", file("absent.key"), file("signer.pem")));
    for (std::string bad : {std::string("no newline"), std::string("SHA256(vm.mf)= zz\n"),
                            std::string("SHA256(vm.mf)= 00ff\nno certificate\n"),
                            std::string("MD5(vm.mf)= 00ff\n")}) {
        auto r = parse_certificate_file(bytes_of(bad), "vm.cert");
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, Errc::refused);
    }
}

} // namespace
} // namespace ovfkit::package
