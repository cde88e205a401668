#pragma once

#include <string_view>

namespace callflow::util {

// Names the calling thread as `top -H`, `ps -L`, `perf` and gdb show it
// ("cf-shard-0", "cf-poll"). Linux keeps at most 15 bytes; a longer name is
// cut. Best effort: a failure is ignored, since a name is only a label.
// Thread-safe (it touches the calling thread only).
void NameThisThread(std::string_view name);

}  // namespace callflow::util
