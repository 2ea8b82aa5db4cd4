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

// A gtest parameter name for a corpus path: non-alphanumerics become '_'.
std::string corpus_param_name(const testing::TestParamInfo<std::string>& param);

} // namespace ovfkit::test
