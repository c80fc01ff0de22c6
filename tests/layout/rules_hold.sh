#!/usr/bin/env bash
# Runs the layout check over every engine module, the editor and the tools in the real tree.
set -euo pipefail
src=$1
rule_of() { case $1 in editor) echo editor ;; tools/*) echo tools ;; *) basename "$1" ;; esac; }
status=0
for folder in "$src"/engine/*/ "$src"/editor/ "$src"/tools/mirage/; do
  folder=${folder%/}
  [ -d "$folder" ] || continue
  rel=${folder#"$src"/}
  rule=$(rule_of "$rel")
  allowed=$(cmake -DRULE="$rule" -P /dev/stdin <<CMAKE 2>&1
include("$src/cmake/MirageLayout.cmake")
string(REPLACE ";" "," a "\${MIRAGE_LAYOUT_\${RULE}}")
message("\${a}")
CMAKE
)
  if cmake -DRULE="$rule" -DALLOWED="$allowed" -DFOLDER="$folder" -P "$src/cmake/CheckLayout.cmake"; then
    echo "ok: $rel"
  else
    status=1
  fi
done
exit $status
