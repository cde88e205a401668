#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "processor/rules/timer.h"

// Key layout of a partition's RocksDB database (one column family, one prefix
// byte per record type):
//   'c' <caller key>                        -> v1::CallerState
//   'm' "partition"                         -> v1::PartitionState
//   'm' "next_offset"                       -> int64, 8 bytes big-endian
//   'm' "changelog"                         -> v1::ChangelogPosition
//   't' <due> <kind> <key> <ref> <seq>      -> empty
// Timer keys sort bytewise exactly as rules::Timer's operator<=>: `due` is
// big-endian with its sign bit flipped, `kind` one byte, strings escaped
// (0x00 -> 0x00 0xFF) and terminated by 0x00 0x01, `seq` big-endian.
namespace callflow::state::keys {

inline constexpr char kCallerPrefix = 'c';
inline constexpr char kMetaPrefix = 'm';
inline constexpr char kTimerPrefix = 't';
// Every timer key is >= kTimersBegin and < kTimersEnd.
inline constexpr std::string_view kTimersBegin = "t";
inline constexpr std::string_view kTimersEnd = "u";
inline constexpr std::string_view kPartitionKey = "mpartition";
inline constexpr std::string_view kNextOffsetKey = "mnext_offset";
// v1::ChangelogPosition: local to the host, never itself in the changelog.
inline constexpr std::string_view kChangelogPositionKey = "mchangelog";

// Replaces `*out` with the key of caller `caller` (reuses its capacity).
void CallerKey(std::string_view caller, std::string* out);
std::string CallerKey(std::string_view caller);

// Replaces `*out` with the key of `timer`.
void TimerKey(const rules::Timer& timer, std::string* out);
std::string TimerKey(const rules::Timer& timer);
// Decodes a key written by TimerKey(); nullopt when it is not one.
std::optional<rules::Timer> DecodeTimerKey(std::string_view key);

std::string EncodeOffset(int64_t offset);
std::optional<int64_t> DecodeOffset(std::string_view value);

}  // namespace callflow::state::keys
