// The shared corpus of OVF descriptors, as test parameters.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ovfkit::test {

// True when the shared corpus is beside the checkout; tests that read it skip
// otherwise.
bool have_corpus();

// Every .ovf below corpus/ovf, relative to it ("vmware-vsphere/win19.ovf"),
// sorted; empty when the corpus is not beside the checkout.
std::vector<std::string> corpus_descriptors();

// True when xmllint is installed.
bool have_xmllint();

// Validates the descriptor at `path` with xmllint (an independent reader)
// against the DMTF schemas in the corpus: DSP8023 1.0.0, or 2.0.1 when
// `ovf2`; network off.
bool xmllint_schema_valid(const std::string& path, bool ovf2);

// A gtest parameter name for a corpus path: non-alphanumerics become '_'.
std::string corpus_param_name(const testing::TestParamInfo<std::string>& param);

} // namespace ovfkit::test
