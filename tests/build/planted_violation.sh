#!/usr/bin/env bash
# Copies the source tree, plants forbidden includes and checks that the build refuses them:
#   ImGui in engine/core, Torch in engine/render, engine/render from engine/model.
# A module without a plant must still build its layout check (the copy itself is sound).
set -euo pipefail
src=$1
work=$2
rm -rf "$work"
mkdir -p "$work/src"
(cd "$src" && git ls-files -z --cached --others --exclude-standard 2>/dev/null ||
  find . -path ./build -prune -o -type f -print0) |
  (cd "$src" && xargs -0 cp --parents -t "$work/src")

echo '#include <imgui.h>' > "$work/src/engine/core/planted.cpp"
echo '#include <torch/torch.h>' > "$work/src/engine/render/planted.cpp"
echo '#include "engine/render/context.h"' > "$work/src/engine/model/planted.cpp"

cmake -S "$work/src" -B "$work/build" -DMIRAGE_BUILD_TESTS=OFF -DMIRAGE_BUILD_EDITOR=OFF > "$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; echo "FAIL: the copied tree did not configure"; exit 1; }

expect_refused() {  # target, text the error must contain
  if cmake --build "$work/build" --target "$1" > "$work/$1.log" 2>&1; then
    echo "FAIL: $1 built despite a planted violation"; exit 1
  fi
  if ! grep -q "$2" "$work/$1.log"; then
    cat "$work/$1.log"; echo "FAIL: $1 failed, but not with '$2'"; exit 1
  fi
  echo "ok: $1 refused: $(grep -m1 "layout rule" "$work/$1.log" | sed 's/^ *//')"
}
expect_refused mirage_core_layout "layout rule 'core' forbids imgui: core/planted.cpp includes <imgui.h>"
expect_refused mirage_render_layout "layout rule 'render' forbids torch: render/planted.cpp includes <torch/torch.h>"
expect_refused mirage_model_layout "layout rule 'model' forbids engine/render"

rm "$work/src/engine/core/planted.cpp"
cmake --build "$work/build" --target mirage_core_layout > "$work/control.log" 2>&1 ||
  { cat "$work/control.log"; echo "FAIL: core's layout check fails without a plant"; exit 1; }
echo "ok: without the plant, mirage_core_layout passes"
rm -rf "$work"
