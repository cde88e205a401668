#!/usr/bin/env bash
# Checks that every C++ file in the repository is formatted as .clang-format
# says (Google style). Prints the files that are not, and how to fix them.
# Exit 0: all formatted; 1: some are not.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# The file list comes from git: outside a clone (a tarball) it would be
# empty and the check would pass without looking at anything.
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "format: $ROOT is not a git clone; nothing to list the sources" >&2
  exit 1
fi
mapfile -t files < <(git ls-files '*.cc' '*.h')
# Batches of files, one after the other (clang-format's start-up per file
# was the cost; run in parallel, the batches' reports interleave mid-line).
# A file that differs shows up as "<file>:<line>:<col>: error: code should
# be clang-formatted".
status=0
report=$(printf '%s\0' "${files[@]}" |
  xargs -0 -n 40 clang-format --dry-run -Werror 2>&1) ||
  status=$?
mapfile -t bad < <(grep -E '^[^ ]+:[0-9]+:[0-9]+: error: code should be clang-formatted' \
  <<<"$report" | sed -E 's/:[0-9]+:[0-9]+: error: .*//' | sort -u)
if [[ $status -ne 0 && ${#bad[@]} -eq 0 ]]; then
  echo "format: clang-format failed (exit $status):" >&2
  head -n 20 <<<"$report" >&2
  exit 1
fi
if [[ ${#bad[@]} -gt 0 ]]; then
  echo "format: ${#bad[@]} file(s) differ from .clang-format:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "format: fix with: clang-format -i ${bad[*]}" >&2
  exit 1
fi
echo "format: ${#files[@]} files formatted as .clang-format says"
