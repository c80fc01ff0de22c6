#!/usr/bin/env bash
# A missing dependency stops the configure step with one line that names it and the package.
# CMAKE_DISABLE_FIND_PACKAGE_<name> makes find_package() fail as if the package were absent.
set -uo pipefail
src=$1
work=$2
status=0
check() {  # package name to hide, text the error must contain
  rm -rf "$work"
  if cmake -S "$src" -B "$work" -DCMAKE_DISABLE_FIND_PACKAGE_$1=TRUE -DMIRAGE_BUILD_TESTS=OFF > "$work.log" 2>&1; then
    echo "FAIL: configure succeeded without $1"; status=1; return
  fi
  if grep -q "$2" "$work.log"; then
    echo "ok: without $1: $(grep -m1 'Mirage needs' "$work.log" | sed 's/^ *//')"
  else
    cat "$work.log"; echo "FAIL: no clear line for missing $1"; status=1
  fi
}
check Torch "Mirage needs LibTorch: install it with 'apt-get install libtorch-dev'"
check OpenCV "Mirage needs OpenCV 4: install it with 'apt-get install libopencv-dev'"
check glfw3 "Mirage needs GLFW 3: install it with 'apt-get install libglfw3-dev'"
rm -rf "$work" "$work.log"
exit $status
