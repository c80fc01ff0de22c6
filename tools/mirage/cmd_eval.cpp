// `mirage eval`: quality numbers of a converted clip against its source, judged by a pretrained
// face-recognition network (table or --json).
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "engine/core/config.h"
#include "engine/core/format.h"
#include "engine/swap/evaluate.h"
#include "engine/swap/model_swapper.h"
#include "tools/mirage/commands.h"
#include "tools/mirage/options.h"
#include "tools/mirage/progress.h"

namespace mirage::cli {
namespace {

namespace fs = std::filesystem;

Json number(double v) { return std::isnan(v) ? Json(nullptr) : Json(v); }

Json judged_json(const swap::JudgedFaces& j) {
  return Json{{"faces", j.faces},
              {"identity_transfer", number(j.transfer)},
              {"distance_to_target", number(j.distance_to_target)},
              {"distance_to_source", number(j.distance_to_source)},
              {"detectable_faces", j.detectable},
              {"faces_found", number(j.faces_found)},
              {"detail", number(j.detail)}};
}

Json eval_json(const swap::EvalReport& r) {
  Json by_part = Json::object();
  for (int part = 0; part < swap::kFaceParts; ++part) by_part[swap::kFacePartNames[part]] = number(r.expression_by_part[part]);
  return Json{{"frames", r.frames},
              {"frames_compared", r.frames_compared},
              {"judge", {{"model", "face-api 1.7.15 face recognition (dlib ResNet, 128-d)"},
                         {"real_faces", {{"a", r.real_faces[0]}, {"b", r.real_faces[1]}}},
                         {"means_from_held_out", r.means_from_held_out},
                         {"held_out_accuracy", number(r.judge_accuracy)},
                         {"real_spread", number(r.real_spread)}}},
              {"overall", judged_json(r.overall)},
              {"a_to_b", judged_json(r.from[0])},
              {"b_to_a", judged_json(r.from[1])},
              {"expression_nme", number(r.expression_error)},
              {"expression_nme_by_part", by_part},
              {"jitter", {{"output", number(r.jitter_output)}, {"source", number(r.jitter_source)},
                          {"excess", number(r.jitter_excess)}}},
              {"reconstruction", {{"faces", r.reconstruction_faces}, {"psnr_db", number(r.reconstruction_psnr)},
                                  {"ssim", number(r.reconstruction_ssim)}}},
              {"seconds", r.seconds}};
}

std::string value(double v, double scale, const char* fmt) {
  if (std::isnan(v)) return "n/a";
  char text[64];
  std::snprintf(text, sizeof text, fmt, v * scale);
  return text;
}

void row(const std::string& name, const std::string& v, const std::string& note) {
  std::printf("  %-30s %10s   %s\n", name.c_str(), v.c_str(), note.c_str());
}

void print_judged(const char* who, const swap::JudgedFaces& j) {
  if (j.faces == 0) return;
  row(format("{}: identity transfer", who), value(j.transfer, 100, "%.1f %%"),
      format("of {} swapped faces nearer the target than the source", j.faces));
  row(format("{}: distance to target", who), value(j.distance_to_target, 1, "%.3f"),
      format("mean descriptor distance (to the source: {})", value(j.distance_to_source, 1, "%.3f")));
  row(format("{}: faces found", who), value(j.faces_found, 100, "%.1f %%"),
      format("of {} the detector finds in the source, still found in the output", j.detectable));
  row(format("{}: detail", who), value(j.detail, 1, "%.3f"), "inner-face Laplacian variance, output / source (1 = as sharp)");
}

void print_eval_table(const swap::EvalReport& r) {
  std::printf("mirage eval: %lld frames, a source face judged on %lld (%.0f s)\n", static_cast<long long>(r.frames),
              static_cast<long long>(r.frames_compared), r.seconds);
  row("judge on real faces", value(r.judge_accuracy, 100, "%.1f %%"),
      format("leave-one-out accuracy on {} + {} {} faces; one person spans {} (face-api ResNet)", r.real_faces[0],
             r.real_faces[1], r.means_from_held_out ? "held-out" : "(no held-out) face-set", value(r.real_spread, 1, "%.3f")));
  print_judged("A->B", r.from[0]);
  print_judged("B->A", r.from[1]);
  if (r.from[0].faces > 0 && r.from[1].faces > 0) print_judged("all", r.overall);
  if (r.overall.faces == 0) row("identity transfer", "n/a", "no swapped faces (none of the source's faces is the other identity)");
  row("expression error (NME)", value(r.expression_error, 1, "%.4f"), "mean landmark distance / inter-ocular distance");
  std::string parts;
  for (int part = 0; part < swap::kFaceParts; ++part) {
    parts += format("{}{} {}", part ? ", " : "", swap::kFacePartNames[part], value(r.expression_by_part[part], 1, "%.3f"));
  }
  row("  by part", "", parts);
  row("jitter, output", value(r.jitter_output, 1, "%.4f"), "frame-to-frame landmark motion / IOD");
  row("jitter, source", value(r.jitter_source, 1, "%.4f"), "");
  row("jitter, excess", value(r.jitter_excess, 1, "%.4f"), "output motion the source does not have");
  row("reconstruction PSNR (A->A)", value(r.reconstruction_psnr, 1, "%.2f dB"), format("{} held-out faces", r.reconstruction_faces));
  row("reconstruction SSIM (A->A)", value(r.reconstruction_ssim, 1, "%.4f"), "");
}

}  // namespace

int run_eval(const Args& args) {
  Options opts("eval");
  opts.add("--project", "", "the project folder (faces/a, faces/b, model/)");
  opts.add("--source", "", "the original video");
  opts.add("--clip", "", "the converted clip");
  opts.add("--to", "b", "the identity the clip was converted to: a, b or both");
  opts.add("--start", "0", "the source time of the clip's first frame (convert --start)");
  opts.add("--device", "auto", "auto, cpu, cuda or cuda:N (reconstruction)");
  opts.flag("--no-model", "skip the reconstruction numbers (no model needed)");
  opts.add("--judge-model", "", "face-api's face_recognition_model-weights_manifest.json (default: data/face-api, from tools/setup)");
  opts.flag("--json", "print the numbers as JSON on stdout");
  opts.flag("--quiet", "no progress line");
  if (auto s = opts.parse(args); !s) return usage_error(opts, s.error());
  if (opts.wants_help()) {
    std::printf("%s", opts.usage().c_str());
    return 0;
  }
  const fs::path project = opts.get("--project");
  if (project.empty()) return usage_error(opts, {ErrorCode::kInvalidArgument, "--project is required"});
  if (opts.get("--source").empty() || opts.get("--clip").empty()) {
    return usage_error(opts, {ErrorCode::kInvalidArgument, "--source and --clip are required"});
  }
  if (!fs::is_directory(project)) {
    return command_error("eval", {ErrorCode::kNotFound, format("no such project folder: {}", project.string())});
  }
  const std::string to = opts.get("--to");
  if (to != "a" && to != "b" && to != "A" && to != "B" && to != "0" && to != "1" && to != "both") {
    return command_error("eval", {ErrorCode::kInvalidArgument, format("identity '{}' does not exist (the model has A and B)", to)});
  }
  auto start = opts.get_double("--start", 0, 1e7);
  if (!start) return usage_error(opts, start.error());

  swap::EvalOptions o;
  o.source = opts.get("--source");
  o.output = opts.get("--clip");
  o.faces_a = project / "faces" / "a";
  o.faces_b = project / "faces" / "b";
  o.target = to == "both" ? -1 : (to == "a" || to == "A" || to == "0") ? 0 : 1;
  o.source_start_s = *start;
  if (!opts.get("--judge-model").empty()) o.judge_model = opts.get("--judge-model");
  std::unique_ptr<swap::FaceSwapper> model;
  if (!opts.has("--no-model")) {
    auto loaded = swap::make_model_swapper(project / "model", opts.get("--device"));
    if (!loaded) return command_error("eval", loaded.error());
    model = std::move(*loaded);
    o.model = model.get();
  }
  ProgressBar bar("eval", -1, opts.has("--quiet"));
  auto report = swap::evaluate_clip(o, {.on_progress = [&](std::int64_t done) { bar.update(done); }});
  bar.finish();
  if (!report) return command_error("eval", report.error());
  if (opts.has("--json")) {
    std::printf("%s\n", eval_json(*report).dump(2).c_str());
  } else {
    print_eval_table(*report);
  }
  return 0;
}

}  // namespace mirage::cli
