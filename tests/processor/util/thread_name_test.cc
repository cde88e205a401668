// NameThisThread: the name the kernel shows for the calling thread.
#include "processor/util/thread_name.h"

#include <pthread.h>

#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace callflow::util {
namespace {

std::string NameOf(pthread_t thread) {
  char name[64] = {};
  EXPECT_EQ(pthread_getname_np(thread, name, sizeof(name)), 0);
  return name;
}

TEST(NameThisThreadTest, NamesTheCallingThreadOnly) {
  const std::string main_name = NameOf(pthread_self());
  std::string seen;
  std::thread t([&] {
    NameThisThread("cf-shard-3");
    seen = NameOf(pthread_self());
  });
  t.join();
  EXPECT_EQ(seen, "cf-shard-3");
  EXPECT_EQ(NameOf(pthread_self()), main_name);
}

TEST(NameThisThreadTest, CutsANameLongerThanTheKernelKeeps) {
  std::string seen;
  std::thread t([&] {
    NameThisThread("cf-a-name-much-longer-than-fifteen");
    seen = NameOf(pthread_self());
  });
  t.join();
  EXPECT_EQ(seen, "cf-a-name-much-");  // 15 bytes
}

}  // namespace
}  // namespace callflow::util
