// The executables run jemalloc with the options of
// processor/util/jemalloc_options.cc (this test binary links it like they
// do), unless MALLOC_CONF overrides them.
#include <jemalloc/jemalloc.h>

#include <cstdlib>

#include "gtest/gtest.h"

namespace {

TEST(JemallocOptionsTest, ThreadCachesKeepBlocksUpTo128KiB) {
  if (std::getenv("MALLOC_CONF") != nullptr) {
    GTEST_SKIP() << "MALLOC_CONF is set and may override the options";
  }
  size_t tcache_max = 0;
  size_t size = sizeof(tcache_max);
  ASSERT_EQ(mallctl("opt.tcache_max", &tcache_max, &size, nullptr, 0), 0);
  EXPECT_EQ(tcache_max, 131072u);
}

}  // namespace
