#include "processor/util/thread_name.h"

#include <pthread.h>

#include <algorithm>
#include <string>

namespace callflow::util {

void NameThisThread(std::string_view name) {
  constexpr size_t kMaxLength = 15;  // the kernel's TASK_COMM_LEN - 1
  std::string cut(name.substr(0, std::min(name.size(), kMaxLength)));
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace callflow::util
