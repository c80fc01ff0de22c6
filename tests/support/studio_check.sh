# Shared by the studio's end-to-end scripts (tests/editor/studio_*_e2e.sh), which take
# <mirage> <mirage-studio> <source dir>: sets $mirage, $studio and $clip (the sample), skips
# (exit 77) without the sample or xvfb-run, brings in cli_check.sh's $work, check and finish, and
# defines xvfb: the command under Xvfb at 1280x720 with Vulkan validation on, and psnr: the PSNR
# (dB, "inf" when equal) between the same area of two screenshots.
#   source "$(dirname "$0")/../support/studio_check.sh" "$@"
mirage=$1
studio=$2
clip=$3/data/Megamind.avi
[ -s "$clip" ] || { echo "skipped: $clip is missing (tools/setup copies it)"; exit 77; }
command -v xvfb-run >/dev/null || { echo "skipped: xvfb-run not found"; exit 77; }
source "$(dirname "${BASH_SOURCE[0]}")/cli_check.sh"
xvfb() { MIRAGE_VULKAN_VALIDATION=1 xvfb-run -a -s '-screen 0 1280x720x24' "$@"; }
psnr() {  # psnr <a.png> <b.png> <W:H:X:Y>
  ffmpeg -nostats -i "$1" -i "$2" -lavfi "[0]crop=$3[a];[1]crop=$3[b];[a][b]psnr" -f null - 2>&1 |
    sed -n 's/.*average:\([0-9.inf]*\).*/\1/p' | tail -1
}
