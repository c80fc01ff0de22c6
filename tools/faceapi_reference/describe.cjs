// The reference for Mirage's port of face-api's face recognition network: descriptors computed
// by @vladmandic/face-api itself (TensorFlow.js, WASM backend) for the faces that
// tests/swap/faceapi_fixture_inputs wrote. Run by make_fixture.sh; prints the fixture JSON.
//   node describe.cjs <inputs folder> <face-api model folder>
'use strict';
const fs = require('fs');
const path = require('path');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

function readPpm(file) {
  const bytes = fs.readFileSync(file);
  const header = bytes.toString('latin1', 0, 64).match(/^P6\s+(\d+)\s+(\d+)\s+255\s/);
  if (!header) throw new Error(`${file}: not a binary PPM`);
  const [width, height] = [Number(header[1]), Number(header[2])];
  const pixels = bytes.subarray(header[0].length, header[0].length + width * height * 3);
  return faceapi.tf.tensor3d(Int32Array.from(pixels), [height, width, 3], 'int32');
}

async function main() {
  const [inputsDir, modelDir] = process.argv.slice(2);
  await faceapi.tf.setBackend('wasm');
  await faceapi.tf.ready();
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  const inputs = JSON.parse(fs.readFileSync(path.join(inputsDir, 'inputs.json'), 'utf8'));
  const faces = [];
  for (const input of inputs) {
    const image = readPpm(path.join(inputsDir, input.image));
    const [height, width] = image.shape;
    // Absolute positions as "relative" ones of a 1x1 image: FaceLandmarks keeps them exactly.
    const points = input.landmarks.map(([x, y]) => new faceapi.Point(x, y));
    const landmarks = new faceapi.FaceLandmarks68(points, { width: 1, height: 1 });
    const aligned = landmarks.align();  // face-api's default alignment (min box, 20 % padding)
    const box = aligned.clipAtImageBorders(width, height);
    const [crop] = await faceapi.extractFaceTensors(image, [aligned]);
    const descriptor = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(crop);
    faces.push({
      name: input.name, frame: input.frame, space: input.space, frame_landmarks: input.frame_landmarks,
      box: [box.x, box.y, box.width, box.height], descriptor: Array.from(descriptor),
    });
    faceapi.tf.dispose([image, crop]);
  }
  const fixture = {
    what: 'face-api face descriptors of Megamind.avi faces, the reference for tests/swap/identity_judge_test.cpp',
    made_by: 'tools/faceapi_reference/make_fixture.sh',
    face_api: faceapi.version, tfjs: faceapi.tf.version_core, backend: faceapi.tf.getBackend(),
    faces,
  };
  // One face per line: diffs of a remade fixture stay readable.
  const { faces: list, ...header } = fixture;
  const lines = list.map((face) => `  ${JSON.stringify(face)}`).join(',\n');
  process.stdout.write(`${JSON.stringify(header, null, 1).slice(0, -2)},\n "faces": [\n${lines}\n ]\n}\n`);
}

main().catch((error) => { console.error(`describe.cjs: ${error.message}`); process.exit(1); });
