#include "editor/imgui_layer.h"

#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_vulkan.h>
#include <imgui.h>

#include "engine/render/vk_check.h"

namespace mirage::studio {
namespace {

VkCommandBuffer g_recording = VK_NULL_HANDLE;  // main thread only, like ImGui itself

void check_imgui_vk_result(VkResult result) {
  // The backend reports every result, successes included; it only fails through bugs or OOM.
  if (result < 0) VK_CHECK(result);
}

}  // namespace

Result<std::unique_ptr<ImGuiLayer>> ImGuiLayer::create(render::Context& context,
                                                       const render::Swapchain& swapchain,
                                                       const Window& window) {
  auto layer = std::make_unique<ImGuiLayer>(Passkey{});
  const VkDescriptorPoolSize sizes[] = {{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 16}};  // fonts
  const VkDescriptorPoolCreateInfo pool_info{
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
      .flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT,
      .maxSets = 16,
      .poolSizeCount = 1,
      .pPoolSizes = sizes};
  VkDescriptorPool pool = VK_NULL_HANDLE;
  if (auto s =
          render::vk_status(vkCreateDescriptorPool(context.device(), &pool_info, nullptr, &pool),
                            "creating the UI descriptor pool");
      !s) {
    return std::unexpected(s.error());
  }
  layer->pool_ = render::DescriptorPool(context, pool, "imgui");

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // no imgui.ini dropped into whatever folder the studio runs in
  ImGui::StyleColorsDark();
  layer->glfw_ready_ = ImGui_ImplGlfw_InitForVulkan(window.handle(), true);
  if (!layer->glfw_ready_)
    return fail(ErrorCode::kInternal, "Dear ImGui could not attach to the window");

  ImGui_ImplVulkan_InitInfo info{};
  info.Instance = context.instance();
  info.PhysicalDevice = context.physical_device();
  info.Device = context.device();
  info.QueueFamily = context.queue_family();
  info.Queue = context.queue();
  info.DescriptorPool = pool;
  info.MinImageCount = std::max(2u, swapchain.min_image_count());
  info.ImageCount = std::max(info.MinImageCount, swapchain.image_count());
  info.MSAASamples = VK_SAMPLE_COUNT_1_BIT;
  info.CheckVkResultFn = &check_imgui_vk_result;
  layer->vulkan_ready_ = ImGui_ImplVulkan_Init(&info, swapchain.render_pass());
  if (!layer->vulkan_ready_)
    return fail(ErrorCode::kInternal, "Dear ImGui could not start its Vulkan renderer");

  const auto uploaded = context.run_one_shot("imgui fonts", [](VkCommandBuffer commands) {
    ImGui_ImplVulkan_CreateFontsTexture(commands);
  });
  ImGui_ImplVulkan_DestroyFontUploadObjects();
  if (!uploaded) return std::unexpected(uploaded.error());
  return layer;
}

ImGuiLayer::~ImGuiLayer() {
  if (vulkan_ready_) ImGui_ImplVulkan_Shutdown();
  if (glfw_ready_) ImGui_ImplGlfw_Shutdown();
  if (ImGui::GetCurrentContext()) ImGui::DestroyContext();
}

void ImGuiLayer::begin_frame() {
  ImGui_ImplVulkan_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
}

void ImGuiLayer::record(VkCommandBuffer commands) {
  ImGui::Render();
  g_recording = commands;
  ImGui_ImplVulkan_RenderDrawData(ImGui::GetDrawData(), commands);
  g_recording = VK_NULL_HANDLE;
}

VkCommandBuffer ImGuiLayer::recording_commands() { return g_recording; }

void ImGuiLayer::on_swapchain_rebuilt(const render::Swapchain& swapchain) {
  ImGui_ImplVulkan_SetMinImageCount(std::max(2u, swapchain.min_image_count()));
}

}  // namespace mirage::studio
