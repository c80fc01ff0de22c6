// The Vulkan instance, the chosen device and its one queue: headless, or able to present to a
// surface that the caller creates (render never sees the window system).
//
//   auto context = render::Context::create({});                        // headless
//   if (!context) { std::puts(context.error().to_string().c_str()); return 1; }
//
//   render::ContextOptions options;                                     // with a window
//   options.instance_extensions = {"VK_KHR_surface", "VK_KHR_xcb_surface"};
//   options.create_surface = [&](VkInstance instance) -> Result<VkSurfaceKHR> { ... };
//   auto windowed = render::Context::create(options);
//
//   const std::uint64_t done = *(*context)->submit({.commands = cmd});  // one timeline value
//   (*context)->wait(done);                                             // per submission
//
// Device: MIRAGE_VULKAN_DEVICE=<index or name substring> when set, else the best of discrete
// GPU > integrated > virtual > CPU (device_select.h). It needs Vulkan 1.2 (timeline semaphores)
// and one queue family with graphics + compute (+ present to the surface, when there is one).
//
// Validation: VK_LAYER_KHRONOS_validation is on in Debug builds and with
// MIRAGE_VULKAN_VALIDATION=1 (=0 turns it off). Its messages go to mirage::log (errors at
// kError) and errors are counted by validation_error_count(), so tests can assert zero. Every
// object Mirage creates is named through debug utils when the loader offers them.
//
// Lifetime: GPU objects are dropped through defer(): they are destroyed once every submission
// made up to that point has finished (collect(), wait() and the destructor run the queue). So
// drop a resource only after the commands that use it were submitted, never while they are
// still being recorded.
//
// Thread-safety: one thread (the render thread) records, submits, waits and drops resources;
// validation_error_count() may be read from any thread. The Context must outlive everything
// created from it, so it lives behind a unique_ptr and does not move.
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/error.h"
#include "engine/render/deletion_queue.h"
#include "engine/render/device_info.h"

namespace mirage::render {

// Creates the presentation surface for a freshly created instance; the Context owns the result.
using SurfaceFactory = std::function<Result<VkSurfaceKHR>(VkInstance)>;

struct ContextOptions {
  std::string app_name = "mirage";
  // Extra instance extensions (a window system's, from glfwGetRequiredInstanceExtensions).
  std::vector<std::string> instance_extensions;
  // Empty: headless. Else called once after instance creation; the device must present to it.
  SurfaceFactory create_surface;
  // nullopt: on in Debug builds or with MIRAGE_VULKAN_VALIDATION=1, off with =0. true when the
  // layer is missing is an error (kUnsupported); a Debug default only warns.
  std::optional<bool> validation;
  // nullopt: the MIRAGE_VULKAN_DEVICE environment variable ("" = automatic choice).
  std::optional<std::string> device_selector;
};

// One queue submission: the command buffer waits on `wait` (binary, optional) at `wait_stage`
// and signals `signal` (binary, optional) besides the Context's timeline.
struct Submission {
  VkCommandBuffer commands = VK_NULL_HANDLE;
  VkSemaphore wait = VK_NULL_HANDLE;
  VkPipelineStageFlags wait_stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
  VkSemaphore signal = VK_NULL_HANDLE;
};

class Context {
  struct Passkey {};

 public:
  // kDevice when there is no Vulkan driver or device (the message says how to get one),
  // kNotFound/kUnsupported for a selector that does not fit, kUnsupported for missing validation
  // layers that were asked for, the surface factory's error as is.
  static Result<std::unique_ptr<Context>> create(const ContextOptions& options);

  explicit Context(Passkey) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  // Waits for the device to go idle, runs every deferred destruction, then tears down.
  ~Context();

  VkInstance instance() const { return instance_; }
  VkPhysicalDevice physical_device() const { return physical_device_; }
  VkDevice device() const { return device_; }
  VkQueue queue() const { return queue_; }
  std::uint32_t queue_family() const { return queue_family_; }
  VkSurfaceKHR surface() const { return surface_; }  // VK_NULL_HANDLE when headless
  const DeviceInfo& device_info() const { return device_info_; }
  const VkPhysicalDeviceProperties& properties() const { return properties_; }

  bool validation_enabled() const { return validation_; }
  // Validation messages of severity error since creation (0 when validation is off).
  std::uint32_t validation_error_count() const { return validation_errors_.load(); }

  // Submits to the queue and signals the timeline with a new value, which it returns.
  Result<std::uint64_t> submit(const Submission& submission);
  // Blocks until the timeline reaches value (a submit() result), then collect()s. kDevice on
  // timeout (a hung or lost device), never a hang.
  Status wait(std::uint64_t value, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Records commands into a fresh command buffer, submits it and waits: for uploads and tests.
  Status run_one_shot(std::string_view name, const std::function<void(VkCommandBuffer)>& record);

  std::uint64_t last_submitted() const { return last_submitted_; }
  std::uint64_t completed() const;  // the timeline's current value
  // Runs destroy once every submission made so far has finished.
  void defer(std::function<void()> destroy);
  // Runs the deferred destructions whose submissions have finished; returns how many ran.
  std::size_t collect();
  std::size_t pending_destructions() const { return deletions_.size(); }

  // A memory type index with all of `required` among type_bits, preferring one that also has
  // `preferred`; nullopt if none.
  std::optional<std::uint32_t> find_memory_type(std::uint32_t type_bits,
                                                VkMemoryPropertyFlags required,
                                                VkMemoryPropertyFlags preferred = 0) const;

  // Labels an object for validation messages and debuggers; a no-op without debug utils.
  template <class Handle>
  void name(Handle handle, std::string_view name) const {
    set_object_name(object_type(handle), reinterpret_cast<std::uint64_t>(handle), name);
  }

 private:
  Status create_instance(const ContextOptions& options);
  Status choose_device(const ContextOptions& options);
  Status create_device();
  void set_object_name(VkObjectType type, std::uint64_t handle, std::string_view name) const;
  static VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(
      VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
      const VkDebugUtilsMessengerCallbackDataEXT* data, void* user);

  static VkObjectType object_type(VkBuffer) { return VK_OBJECT_TYPE_BUFFER; }
  static VkObjectType object_type(VkImage) { return VK_OBJECT_TYPE_IMAGE; }
  static VkObjectType object_type(VkImageView) { return VK_OBJECT_TYPE_IMAGE_VIEW; }
  static VkObjectType object_type(VkDeviceMemory) { return VK_OBJECT_TYPE_DEVICE_MEMORY; }
  static VkObjectType object_type(VkShaderModule) { return VK_OBJECT_TYPE_SHADER_MODULE; }
  static VkObjectType object_type(VkPipeline) { return VK_OBJECT_TYPE_PIPELINE; }
  static VkObjectType object_type(VkPipelineLayout) { return VK_OBJECT_TYPE_PIPELINE_LAYOUT; }
  static VkObjectType object_type(VkDescriptorSetLayout) {
    return VK_OBJECT_TYPE_DESCRIPTOR_SET_LAYOUT;
  }
  static VkObjectType object_type(VkDescriptorPool) { return VK_OBJECT_TYPE_DESCRIPTOR_POOL; }
  static VkObjectType object_type(VkDescriptorSet) { return VK_OBJECT_TYPE_DESCRIPTOR_SET; }
  static VkObjectType object_type(VkCommandPool) { return VK_OBJECT_TYPE_COMMAND_POOL; }
  static VkObjectType object_type(VkCommandBuffer) { return VK_OBJECT_TYPE_COMMAND_BUFFER; }
  static VkObjectType object_type(VkSemaphore) { return VK_OBJECT_TYPE_SEMAPHORE; }
  static VkObjectType object_type(VkFence) { return VK_OBJECT_TYPE_FENCE; }
  static VkObjectType object_type(VkQueue) { return VK_OBJECT_TYPE_QUEUE; }
  static VkObjectType object_type(VkDevice) { return VK_OBJECT_TYPE_DEVICE; }
  static VkObjectType object_type(VkSampler) { return VK_OBJECT_TYPE_SAMPLER; }
  static VkObjectType object_type(VkQueryPool) { return VK_OBJECT_TYPE_QUERY_POOL; }
  static VkObjectType object_type(VkRenderPass) { return VK_OBJECT_TYPE_RENDER_PASS; }
  static VkObjectType object_type(VkFramebuffer) { return VK_OBJECT_TYPE_FRAMEBUFFER; }
  static VkObjectType object_type(VkSwapchainKHR) { return VK_OBJECT_TYPE_SWAPCHAIN_KHR; }
  static VkObjectType object_type(VkSurfaceKHR) { return VK_OBJECT_TYPE_SURFACE_KHR; }

  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  VkSurfaceKHR surface_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_device_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  std::uint32_t queue_family_ = 0;
  VkSemaphore timeline_ = VK_NULL_HANDLE;
  VkCommandPool one_shot_pool_ = VK_NULL_HANDLE;
  std::uint64_t last_submitted_ = 0;
  DeletionQueue deletions_;

  DeviceInfo device_info_;
  VkPhysicalDeviceProperties properties_{};
  VkPhysicalDeviceMemoryProperties memory_properties_{};
  bool validation_ = false;
  bool debug_utils_ = false;
  std::atomic<std::uint32_t> validation_errors_{0};
  PFN_vkSetDebugUtilsObjectNameEXT set_object_name_ = nullptr;
};

}  // namespace mirage::render
