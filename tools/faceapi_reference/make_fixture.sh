#!/usr/bin/env bash
# Remakes tests/swap/data/faceapi_descriptors.json: face-api's own descriptors (TensorFlow.js,
# WASM backend) for faces of data/Megamind.avi, the reference the C++ port is checked against
# (tests/swap/identity_judge_test.cpp). Needs tools/setup and tools/build to have run, and the
# npm registry (npm install here fetches face-api and TensorFlow.js into node_modules/).
#   tools/faceapi_reference/make_fixture.sh [frames...]
set -euo pipefail
cd "$(dirname "$0")/../.."
frames=("$@")
[ ${#frames[@]} -gt 0 ] || frames=(30 75 120 160 200 250)
inputs=$(mktemp -d)
trap 'rm -rf "$inputs"' EXIT
build/bin/tests/faceapi_fixture_inputs data/Megamind.avi "$inputs" "${frames[@]}"
(cd tools/faceapi_reference && npm install --silent --no-audit --no-fund)
node tools/faceapi_reference/describe.cjs "$inputs" data/face-api > tests/swap/data/faceapi_descriptors.json.tmp
mv tests/swap/data/faceapi_descriptors.json.tmp tests/swap/data/faceapi_descriptors.json
echo "tests/swap/data/faceapi_descriptors.json: $(grep -c '"name"' tests/swap/data/faceapi_descriptors.json) faces"
