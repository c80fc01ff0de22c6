// Derives the mean-face template (assets/face/mean_face_68.txt) from the faces of a video:
// dlib HOG on every frame at full resolution, 68 landmarks per face, generalised Procrustes
// analysis, then the mean and its mirror image are averaged so the template is symmetric.
//
//   cmake --build build --target face_derive_mean_face
//   build/bin/tests/face_derive_mean_face data/Megamind.avi > assets/face/mean_face_68.txt
//
// A development tool, not a test: it is built only on request.
#include <cstdio>
#include <vector>

#include "engine/face/align.h"
#include "engine/face/detect.h"
#include "engine/face/landmarks.h"
#include "engine/media/frame_source.h"

int main(int argc, char** argv) {
  using namespace mirage;
  if (argc != 2) {
    std::fprintf(stderr, "usage: face_derive_mean_face <video>\n");
    return 2;
  }
  auto source = media::FrameSource::open(argv[1]);
  auto detector = face::make_detector({});
  auto predictor = face::LandmarkPredictor::load();
  if (!source || !detector || !predictor) {
    std::fprintf(stderr, "face_derive_mean_face: cannot open the video, detector or landmark model\n");
    return 1;
  }
  std::vector<face::Landmarks> shapes;
  while (true) {
    auto frame = source->next();
    if (!frame) continue;
    if (!*frame) break;
    for (const face::Detection& d : (*detector)->detect((*frame)->image)) {
      shapes.push_back(predictor->fit((*frame)->image, d.box));
    }
  }
  if (shapes.empty()) {
    std::fprintf(stderr, "face_derive_mean_face: no faces found\n");
    return 1;
  }
  const face::Landmarks mean = face::procrustes_mean(shapes);
  const face::Landmarks mirrored = face::mirror(mean, 0.5f);
  face::Landmarks symmetric;
  for (int i = 0; i < face::kLandmarkCount; ++i) symmetric[i] = (mean[i] + mirrored[i]) * 0.5f;
  symmetric = face::normalise_to_face_box(symmetric);
  std::printf("# Mirage mean face: 68 landmarks (iBUG 300-W order) in face-box units, x y per line.\n");
  std::printf("# Derived by tests/face/derive_mean_face.cpp from %zu dlib HOG + shape-predictor faces\n",
              shapes.size());
  std::printf("# of %s (generalised Procrustes analysis, mirror-symmetrised). See README.md.\n", argv[1]);
  for (const cv::Point2f& p : symmetric) std::printf("%.5f %.5f\n", p.x, p.y);
  return 0;
}
