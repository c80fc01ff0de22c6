# Shared by the command-line tests (tests/*/cli_e2e.sh): a scratch folder and a checklist.
#   source "$(dirname "$0")/../support/cli_check.sh"
#   "$mirage" ... 2>"$work/err"
#   check "a bad option exits 2" test $? -eq 2
#   finish                      # exit 1 if any check failed (the last stderr is printed)
# Scripts set -uo pipefail themselves; $work is removed on exit.
work=$(mktemp -d)
trap '[ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT
failures=0
check() {  # check <description> <command...>: the command must succeed
  local what=$1; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}
finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed; the last stderr was:"
    cat "$work/err" 2>/dev/null
    exit 1
  fi
  echo "all checks passed"
  exit 0
}
