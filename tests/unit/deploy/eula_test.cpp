// EulaSections: where they sit, their text (inline or through Strings) and
// the SHA-256 of the text (checked against known digests).
#include "envelope.hpp"
#include <gtest/gtest.h>

#include <ovfkit/deploy/eula.hpp>

namespace ovfkit::deploy {
namespace {

using test::envelope_of;

TEST(DeployEula, EveryEulaWithItsDigest) {
    auto env = envelope_of(R"(  <EulaSection><Info>e</Info><License>abc</License></EulaSection>
  <VirtualSystemCollection ovf:id="app"><Info>c</Info>
    <VirtualSystem ovf:id="vm1"><Info>v</Info>
      <EulaSection><Info>e</Info><License></License></EulaSection>
    </VirtualSystem>
    <VirtualSystem ovf:id="vm2"><Info>v</Info>
      <EulaSection><Info>e</Info><License>Line 1
  Line 2 &amp; &lt;more&gt; </License></EulaSection>
    </VirtualSystem>
  </VirtualSystemCollection>
)");
    auto all = eulas(env);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].system_id, "");
    EXPECT_EQ(all[0].text, "abc");
    // FIPS 180-2 test vectors.
    EXPECT_EQ(all[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(all[1].system_id, "vm1");
    EXPECT_EQ(all[1].text, "");
    EXPECT_EQ(all[1].sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(all[2].system_id, "vm2");
    EXPECT_EQ(all[2].text, "Line 1\n  Line 2 & <more> ") << "text as written, untrimmed";
    EXPECT_EQ(all[2].sha256.size(), 64u);
    EXPECT_NE(all[2].sha256, all[0].sha256);
}

TEST(DeployEula, LicenseByMessageId) {
    auto body = R"(  <VirtualSystem ovf:id="vm"><Info>v</Info>
    <EulaSection><Info>e</Info><License ovf:msgid="eula"></License></EulaSection>
  </VirtualSystem>
  <Strings xml:lang="de-DE"><Msg ovf:msgid="eula">Lizenz</Msg></Strings>
  <Strings xml:lang="en-US"><Msg ovf:msgid="eula">abc</Msg></Strings>
)";
    auto english = eulas(envelope_of(body, "en-US"));
    ASSERT_EQ(english.size(), 1u);
    EXPECT_EQ(english[0].text, "abc");
    EXPECT_EQ(english[0].sha256,
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // No Strings for the envelope's language: the first that has the id.
    auto other = eulas(envelope_of(body, "fr-FR"));
    ASSERT_EQ(other.size(), 1u);
    EXPECT_EQ(other[0].text, "Lizenz");
}

TEST(DeployEula, NoneWithoutEulaSections) {
    EXPECT_TRUE(
        eulas(envelope_of("  <VirtualSystem ovf:id=\"vm\"><Info>v</Info></VirtualSystem>\n"))
            .empty());
}

} // namespace
} // namespace ovfkit::deploy
