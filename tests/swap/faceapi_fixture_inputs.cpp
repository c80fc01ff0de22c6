// Writes the inputs of the face-api reference run (tools/faceapi_reference/make_fixture.sh):
// for a few frames of the clip, each detected face's 68 landmarks, the frame as a binary PPM,
// and the face's aligned crop (what eval judges) as a PPM with its landmarks in crop pixels.
//   faceapi_fixture_inputs data/Megamind.avi <out folder> <frame>...
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "engine/core/config.h"
#include "engine/face/align.h"
#include "engine/face/detect.h"
#include "engine/face/landmarks.h"
#include "engine/media/frame_source.h"
#include "engine/swap/swapper.h"

namespace fs = std::filesystem;
using namespace mirage;

namespace {

void write_ppm(const fs::path& path, const cv::Mat& bgr) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  std::ofstream out(path, std::ios::binary);
  out << "P6\n" << rgb.cols << " " << rgb.rows << "\n255\n";
  for (int y = 0; y < rgb.rows; ++y) out.write(reinterpret_cast<const char*>(rgb.ptr(y)), rgb.cols * 3);
}

Json points(const face::Landmarks& landmarks) {
  Json list = Json::array();
  for (const cv::Point2f& p : landmarks) list.push_back({static_cast<double>(p.x), static_cast<double>(p.y)});
  return list;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: faceapi_fixture_inputs <clip> <out folder> <frame>...\n");
    return 2;
  }
  const fs::path out = argv[2];
  fs::create_directories(out);
  std::vector<long> frames;
  for (int i = 3; i < argc; ++i) frames.push_back(std::atol(argv[i]));
  auto source = media::FrameSource::open(argv[1]);
  auto detector = face::make_detector({});
  auto predictor = face::LandmarkPredictor::load();
  if (!source || !detector || !predictor) {
    std::fprintf(stderr, "faceapi_fixture_inputs: cannot open the clip, the detector or the landmark model\n");
    return 1;
  }
  Json inputs = Json::array();
  for (long index = 0; !frames.empty() && index <= frames.back(); ++index) {
    auto frame = source->next();
    if (!frame || !*frame) break;
    if (std::find(frames.begin(), frames.end(), index) == frames.end()) continue;
    const cv::Mat& image = (*frame)->image;
    const std::string frame_file = "frame_" + std::to_string(index) + ".ppm";
    write_ppm(out / frame_file, image);
    int face_index = 0;
    for (const face::Detection& d : (*detector)->detect(image)) {
      const face::Landmarks landmarks = predictor->fit(image, d.box);
      const std::string name = "frame" + std::to_string(index) + "_face" + std::to_string(face_index++);
      inputs.push_back({{"name", name}, {"frame", index}, {"space", "frame"}, {"image", frame_file},
                        {"frame_landmarks", points(landmarks)}, {"landmarks", points(landmarks)}});
      const face::AlignedFace aligned =
          face::align_face(image, landmarks, {.size = swap::kAlignedSide, .coverage = swap::kAlignedCoverage});
      write_ppm(out / (name + "_aligned.ppm"), aligned.image);
      inputs.push_back({{"name", name + "_aligned"}, {"frame", index}, {"space", "aligned"},
                        {"image", name + "_aligned.ppm"}, {"frame_landmarks", points(landmarks)},
                        {"landmarks", points(aligned.landmarks)}});
    }
  }
  std::ofstream(out / "inputs.json") << inputs.dump(1) << "\n";
  std::printf("%zu faces\n", inputs.size());
  return 0;
}
