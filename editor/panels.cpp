#include "editor/panels.h"

#include <imgui.h>

#include "mirage/build_info.h"

namespace mirage::studio {
void section(const char* title) {
  ImGui::Spacing();
  ImGui::Separator();
  ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1.0f), "%s", title);
}

void draw_about_panel(const AboutPanelInfo& info) {
  ImGui::SetNextWindowPos(ImVec2(440, 300), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowSize(ImVec2(520, 0), ImGuiCond_FirstUseEver);
  ImGui::Begin("About Mirage");
  ImGui::Text("Mirage %s (%s)", build_info::kVersion, build_info::kBuildType);
  ImGui::TextDisabled("%s", build_info::kCompiler);

  section("Vulkan device");
  ImGui::Text("%s", info.device.name.c_str());
  ImGui::Text("%s, Vulkan %s", info.device.type.c_str(), info.device.api_version.c_str());
  ImGui::TextDisabled("%s", info.device.driver.c_str());
  ImGui::Text("validation %s", info.validation ? "on" : "off");
  ImGui::Text("%ux%u, %.1f ms/frame (%.0f frames/s)", info.width, info.height, info.frame_ms,
              info.frame_ms > 0 ? 1000.0f / info.frame_ms : 0.0f);

  section("Dependencies");
  if (ImGui::BeginTable("dependencies", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV)) {
    for (const auto& dependency : build_info::kDependencies) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(dependency.name);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(dependency.version);
    }
    ImGui::EndTable();
  }
  ImGui::End();
}

}  // namespace mirage::studio
