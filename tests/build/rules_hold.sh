#!/usr/bin/env bash
# Runs the layout check over every engine module, the editor and the tools in the real tree.
set -euo pipefail
src=$1
query=$(mktemp --suffix=.cmake)
trap 'rm -f "$query"' EXIT
cat > "$query" <<CMAKE
include("$src/cmake/MirageLayout.cmake")
string(REPLACE ";" "," allowed "\${MIRAGE_LAYOUT_\${RULE}}")
message("\${allowed}")
CMAKE
rule_of() { case $1 in editor) echo editor ;; tools/*) echo tools ;; *) basename "$1" ;; esac; }
status=0
for folder in "$src"/engine/*/ "$src"/editor/ "$src"/tools/mirage/; do
  folder=${folder%/}
  rel=${folder#"$src"/}
  rule=$(rule_of "$rel")
  allowed=$(cmake -DRULE="$rule" -P "$query" 2>&1)
  if cmake -DRULE="$rule" -DALLOWED="$allowed" -DFOLDER="$folder" -P "$src/cmake/CheckLayout.cmake"; then
    echo "ok: $rel follows rule '$rule' ($allowed)"
  else
    status=1
  fi
done
exit $status
