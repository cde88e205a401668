#include "state/keys.h"

namespace callflow::state::keys {
namespace {

constexpr uint64_t kSignBit = uint64_t{1} << 63;

void AppendBigEndian(uint64_t v, int bytes, std::string* out) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

// Reads `bytes` big-endian bytes from the front of `*in`.
std::optional<uint64_t> ReadBigEndian(int bytes, std::string_view* in) {
  if (in->size() < static_cast<size_t>(bytes)) return std::nullopt;
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v = (v << 8) | static_cast<uint8_t>((*in)[i]);
  }
  in->remove_prefix(bytes);
  return v;
}

// Order-preserving string encoding: 0x00 -> 0x00 0xFF, end -> 0x00 0x01.
void AppendEscaped(std::string_view s, std::string* out) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\0') {
      out->append(s.data() + start, i - start);
      out->append("\0\xFF", 2);
      start = i + 1;
    }
  }
  out->append(s.data() + start, s.size() - start);
  out->append("\0\x01", 2);
}

std::optional<std::string> ReadEscaped(std::string_view* in) {
  std::string s;
  while (true) {
    size_t zero = in->find('\0');
    if (zero == std::string_view::npos || zero + 1 >= in->size()) {
      return std::nullopt;
    }
    s.append(in->data(), zero);
    char marker = (*in)[zero + 1];
    in->remove_prefix(zero + 2);
    if (marker == '\x01') return s;
    if (marker != '\xFF') return std::nullopt;
    s.push_back('\0');
  }
}

}  // namespace

void CallerKey(std::string_view caller, std::string* out) {
  out->clear();
  out->push_back(kCallerPrefix);
  out->append(caller);
}

std::string CallerKey(std::string_view caller) {
  std::string out;
  CallerKey(caller, &out);
  return out;
}

void TimerKey(const rules::Timer& timer, std::string* out) {
  out->clear();
  out->push_back(kTimerPrefix);
  AppendBigEndian(static_cast<uint64_t>(timer.due) ^ kSignBit, 8, out);
  out->push_back(static_cast<char>(timer.kind));
  AppendEscaped(timer.key, out);
  AppendEscaped(timer.ref, out);
  AppendBigEndian(timer.seq, 4, out);
}

std::string TimerKey(const rules::Timer& timer) {
  std::string out;
  TimerKey(timer, &out);
  return out;
}

std::optional<rules::Timer> DecodeTimerKey(std::string_view key) {
  if (key.empty() || key[0] != kTimerPrefix) return std::nullopt;
  key.remove_prefix(1);
  rules::Timer timer;
  std::optional<uint64_t> due = ReadBigEndian(8, &key);
  std::optional<uint64_t> kind = ReadBigEndian(1, &key);
  if (!due || !kind) return std::nullopt;
  timer.due = static_cast<rules::TimeNs>(*due ^ kSignBit);
  timer.kind = static_cast<rules::TimerKind>(*kind);
  std::optional<std::string> caller = ReadEscaped(&key);
  if (!caller) return std::nullopt;
  std::optional<std::string> ref = ReadEscaped(&key);
  if (!ref) return std::nullopt;
  std::optional<uint64_t> seq = ReadBigEndian(4, &key);
  if (!seq || !key.empty()) return std::nullopt;
  timer.key = std::move(*caller);
  timer.ref = std::move(*ref);
  timer.seq = static_cast<uint32_t>(*seq);
  return timer;
}

std::string EncodeOffset(int64_t offset) {
  std::string out;
  AppendBigEndian(static_cast<uint64_t>(offset), 8, &out);
  return out;
}

std::optional<int64_t> DecodeOffset(std::string_view value) {
  std::optional<uint64_t> v = ReadBigEndian(8, &value);
  if (!v || !value.empty()) return std::nullopt;
  return static_cast<int64_t>(*v);
}

}  // namespace callflow::state::keys
