#include "engine/model/loss_weights.h"

namespace mirage::model {

Json to_json(const LossWeights& w) {
  return Json{{"l1", w.l1},     {"ssim", w.ssim}, {"ssim_coarse", w.ssim_coarse}, {"mask", w.mask},
              {"eyes", w.eyes}, {"mouth", w.mouth}, {"edge", w.edge},
              {"background", w.background}, {"adversarial", w.adversarial}};
}

Status read_loss_weights(const Json& json, std::string_view source, LossWeights& weights) {
  ConfigReader reader(json, std::string(source));
  reader.allow_only("", {"l1", "ssim", "ssim_coarse", "mask", "eyes", "mouth", "edge", "background",
                          "adversarial"});
  reader.read("l1", weights.l1, 0.0, 1000.0);
  reader.read("ssim", weights.ssim, 0.0, 1000.0);
  reader.read("ssim_coarse", weights.ssim_coarse, 0.0, 1000.0);
  reader.read("mask", weights.mask, 0.0, 1000.0);
  reader.read("eyes", weights.eyes, 0.0, 1000.0);
  reader.read("mouth", weights.mouth, 0.0, 1000.0);
  reader.read("edge", weights.edge, 0.0, 1000.0);
  reader.read("background", weights.background, 0.0, 1.0);
  reader.read("adversarial", weights.adversarial, 0.0, 1000.0);
  return reader.status();
}

}  // namespace mirage::model
