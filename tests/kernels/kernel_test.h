// The test every kernel family shares: each case of kernel_cases.h in the family, the fast kernel
// against its reference on each of the case's test shapes, with 1 and 3 threads.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernel_cases.h"

namespace cnn::kernel_cases {

inline std::vector<const Case*> family(const std::string& name) {
  std::vector<const Case*> v;
  for (const Case& c : all())
    if (name == c.family) v.push_back(&c);
  return v;
}
inline std::string test_name(const testing::TestParamInfo<const Case*>& info) { return info.param->kernel; }

}  // namespace cnn::kernel_cases

// One test per kernel of the family: Suite.MatchesReference/<kernel>.
#define KERNEL_FAMILY_TESTS(Suite, family_name)                                                         \
  class Suite : public ::testing::TestWithParam<const ::cnn::kernel_cases::Case*> {};                   \
  TEST_P(Suite, MatchesReference) {                                                                     \
    const ::cnn::kernel_cases::Case& c = *GetParam();                                                   \
    ASSERT_FALSE(c.test.empty());                                                                       \
    ASSERT_FALSE(c.bench.empty());                                                                      \
    std::uint32_t seed = 1;                                                                             \
    for (const auto& d : c.test) ASSERT_EQ(::cnn::kernel_cases::check(c, d, seed++), "");               \
  }                                                                                                     \
  INSTANTIATE_TEST_SUITE_P(Cases, Suite, ::testing::ValuesIn(::cnn::kernel_cases::family(family_name)), \
                           ::cnn::kernel_cases::test_name)
