#include "engine/render/context.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "engine/core/log.h"
#include "engine/render/device_select.h"
#include "engine/render/leak_check_pin.h"
#include "engine/render/vk_check.h"

namespace mirage::render {
namespace {


constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";
#ifdef NDEBUG
constexpr bool kDebugBuild = false;
#else
constexpr bool kDebugBuild = true;
#endif

std::vector<VkExtensionProperties> instance_extensions(const char* layer) {
  std::uint32_t count = 0;
  if (vkEnumerateInstanceExtensionProperties(layer, &count, nullptr) != VK_SUCCESS) return {};
  std::vector<VkExtensionProperties> extensions(count);
  if (vkEnumerateInstanceExtensionProperties(layer, &count, extensions.data()) < 0) return {};
  extensions.resize(count);
  return extensions;
}

std::vector<VkExtensionProperties> device_extensions(VkPhysicalDevice device) {
  std::uint32_t count = 0;
  if (vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr) != VK_SUCCESS)
    return {};
  std::vector<VkExtensionProperties> extensions(count);
  if (vkEnumerateDeviceExtensionProperties(device, nullptr, &count, extensions.data()) < 0)
    return {};
  extensions.resize(count);
  return extensions;
}

bool has_extension(const std::vector<VkExtensionProperties>& extensions, std::string_view name) {
  return std::any_of(extensions.begin(), extensions.end(),
                     [&](const VkExtensionProperties& e) { return name == e.extensionName; });
}

bool has_validation_layer() {
  std::uint32_t count = 0;
  if (vkEnumerateInstanceLayerProperties(&count, nullptr) != VK_SUCCESS) return false;
  std::vector<VkLayerProperties> layers(count);
  if (vkEnumerateInstanceLayerProperties(&count, layers.data()) < 0) return false;
  return std::any_of(layers.begin(), layers.begin() + count, [](const VkLayerProperties& l) {
    return std::strcmp(l.layerName, kValidationLayer) == 0;
  });
}

struct ValidationChoice {
  bool wanted = false;
  bool required = false;  // asked for explicitly: a missing layer is an error, not a warning
};

ValidationChoice choose_validation(const ContextOptions& options) {
  if (options.validation) return {*options.validation, *options.validation};
  if (const char* env = std::getenv("MIRAGE_VULKAN_VALIDATION"); env && *env) {
    const bool on = std::string_view(env) != "0";
    return {on, on};
  }
  return {kDebugBuild, false};
}

// The graphics+compute family a device would use, and why it cannot be used if none fits.
struct QueueChoice {
  std::uint32_t family = 0;
  std::string unusable;
};

QueueChoice choose_queue_family(VkPhysicalDevice device, VkSurfaceKHR surface) {
  std::uint32_t count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, nullptr);
  std::vector<VkQueueFamilyProperties> families(count);
  vkGetPhysicalDeviceQueueFamilyProperties(device, &count, families.data());
  constexpr VkQueueFlags kNeeded = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT;
  bool any_graphics_compute = false;
  for (std::uint32_t i = 0; i < count; ++i) {
    if ((families[i].queueFlags & kNeeded) != kNeeded) continue;
    any_graphics_compute = true;
    VkBool32 can_present = VK_TRUE;
    if (surface != VK_NULL_HANDLE &&
        vkGetPhysicalDeviceSurfaceSupportKHR(device, i, surface, &can_present) != VK_SUCCESS) {
      can_present = VK_FALSE;
    }
    if (can_present) return {i, ""};
  }
  return {0, any_graphics_compute ? "cannot present to the window" : "no graphics+compute queue"};
}

}  // namespace

Result<std::unique_ptr<Context>> Context::create(const ContextOptions& options) {
  auto context = std::make_unique<Context>(Passkey{});
  if (auto status = context->create_instance(options); !status)
    return std::unexpected(status.error());
  if (options.create_surface) {
    auto surface = options.create_surface(context->instance_);
    if (!surface) return std::unexpected(surface.error());
    context->surface_ = *surface;
  }
  if (auto status = context->choose_device(options); !status)
    return std::unexpected(status.error());
  if (auto status = context->create_device(); !status) return std::unexpected(status.error());
  log::debug("vulkan: using {} ({}, Vulkan {}, {}){}", context->device_info_.name,
             context->device_info_.type, context->device_info_.api_version,
             context->device_info_.driver, context->validation_ ? " with validation" : "");
  return context;
}

Status Context::create_instance(const ContextOptions& options) {
  std::uint32_t loader_version = VK_API_VERSION_1_0;
  if (vkEnumerateInstanceVersion(&loader_version) != VK_SUCCESS ||
      loader_version < VK_API_VERSION_1_2) {
    return fail(ErrorCode::kUnsupported, "the Vulkan loader is older than 1.2: update libvulkan1");
  }

  const ValidationChoice validation = choose_validation(options);
  if (validation.wanted && !has_validation_layer()) {
    if (validation.required) {
      return fail(ErrorCode::kUnsupported,
                  "Vulkan validation was asked for but {} is not installed: "
                  "install vulkan-validationlayers (or unset MIRAGE_VULKAN_VALIDATION)",
                  kValidationLayer);
    }
    log::warn(
        "vulkan: {} not installed, running without validation (install vulkan-validationlayers)",
        kValidationLayer);
  }
  validation_ = validation.wanted && has_validation_layer();

  const auto available = instance_extensions(nullptr);
  const auto from_layer =
      validation_ ? instance_extensions(kValidationLayer) : std::vector<VkExtensionProperties>{};
  std::vector<const char*> extensions;
  for (const std::string& name : options.instance_extensions) {
    if (!has_extension(available, name)) {
      return fail(ErrorCode::kUnsupported,
                  "the Vulkan driver lacks the instance extension {} "
                  "the window system needs: {}",
                  name, kNoDeviceHint);
    }
    extensions.push_back(name.c_str());
  }
  debug_utils_ = has_extension(available, VK_EXT_DEBUG_UTILS_EXTENSION_NAME) ||
                 has_extension(from_layer, VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
  if (debug_utils_) extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
  // Portability drivers (MoltenVK) are only listed when the instance asks for them.
  const bool portability = has_extension(available, VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);
  if (portability) extensions.push_back(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);

  const VkApplicationInfo app{
      .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
      .pApplicationName = options.app_name.c_str(),
      .pEngineName = "mirage",
      .apiVersion = std::min<std::uint32_t>(loader_version, VK_API_VERSION_1_3)};
  VkDebugUtilsMessengerCreateInfoEXT messenger_info{
      .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
      .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                         VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
      .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
      .pfnUserCallback = &Context::on_debug_message,
      .pUserData = this};
  const VkInstanceCreateInfo create{
      .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
      // Chaining the messenger also reports problems inside vkCreateInstance/vkDestroyInstance.
      .pNext = debug_utils_ ? &messenger_info : nullptr,
      .flags = portability ? VkInstanceCreateFlags{VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR}
                           : 0u,
      .pApplicationInfo = &app,
      .enabledLayerCount = validation_ ? 1u : 0u,
      .ppEnabledLayerNames = &kValidationLayer,
      .enabledExtensionCount = static_cast<std::uint32_t>(extensions.size()),
      .ppEnabledExtensionNames = extensions.data()};
  pin_vulkan_libraries_for_leak_checks();
  const VkResult created = vkCreateInstance(&create, nullptr, &instance_);
  if (created == VK_ERROR_INCOMPATIBLE_DRIVER) {
    return fail(ErrorCode::kDevice, "no Vulkan device found (no Vulkan driver is installed): {}",
                kNoDeviceHint);
  }
  if (created != VK_SUCCESS) {
    instance_ = VK_NULL_HANDLE;
    return fail(ErrorCode::kDevice, "cannot start Vulkan ({}): {}", vk_result_name(created),
                kNoDeviceHint);
  }

  if (debug_utils_) {
    const auto create_messenger = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
    set_object_name_ = reinterpret_cast<PFN_vkSetDebugUtilsObjectNameEXT>(
        vkGetInstanceProcAddr(instance_, "vkSetDebugUtilsObjectNameEXT"));
    if (create_messenger)
      VK_CHECK(create_messenger(instance_, &messenger_info, nullptr, &messenger_));
  }
  return ok();
}

Status Context::choose_device(const ContextOptions& options) {
  std::uint32_t count = 0;
  if (auto s = vk_status(vkEnumeratePhysicalDevices(instance_, &count, nullptr),
                         "listing Vulkan devices");
      !s) {
    return s;
  }
  std::vector<VkPhysicalDevice> devices(count);
  if (count > 0) {
    const VkResult listed = vkEnumeratePhysicalDevices(instance_, &count, devices.data());
    if (listed < 0) return vk_status(listed, "listing Vulkan devices");
    devices.resize(count);
  }

  std::vector<DeviceCandidate> candidates;
  std::vector<std::uint32_t> families;
  for (VkPhysicalDevice device : devices) {
    VkPhysicalDeviceProperties properties{};
    vkGetPhysicalDeviceProperties(device, &properties);
    DeviceCandidate candidate{properties.deviceName, device_type(properties.deviceType), ""};
    const QueueChoice queue = choose_queue_family(device, surface_);
    VkPhysicalDeviceVulkan12Features features12{
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    VkPhysicalDeviceFeatures2 features{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                       .pNext = &features12};
    if (properties.apiVersion >= VK_API_VERSION_1_2)
      vkGetPhysicalDeviceFeatures2(device, &features);

    if (properties.apiVersion < VK_API_VERSION_1_2) {
      candidate.unusable =
          format("Vulkan {}.{}, Mirage needs 1.2", VK_API_VERSION_MAJOR(properties.apiVersion),
                 VK_API_VERSION_MINOR(properties.apiVersion));
    } else if (!features12.timelineSemaphore) {
      candidate.unusable = "no timeline semaphores";
    } else if (!queue.unusable.empty()) {
      candidate.unusable = queue.unusable;
    } else if (surface_ != VK_NULL_HANDLE &&
               !has_extension(device_extensions(device), VK_KHR_SWAPCHAIN_EXTENSION_NAME)) {
      candidate.unusable = "no swapchain support";
    }
    candidates.push_back(std::move(candidate));
    families.push_back(queue.family);
  }

  std::string selector;
  if (options.device_selector) {
    selector = *options.device_selector;
  } else if (const char* env = std::getenv("MIRAGE_VULKAN_DEVICE")) {
    selector = env;
  }
  const auto index = pick_device(candidates, selector);
  if (!index) return std::unexpected(index.error());
  physical_device_ = devices[*index];
  queue_family_ = families[*index];
  vkGetPhysicalDeviceProperties(physical_device_, &properties_);
  vkGetPhysicalDeviceMemoryProperties(physical_device_, &memory_properties_);
  device_info_ = describe_device(physical_device_);
  return ok();
}

Status Context::create_device() {
  const float priority = 1.0f;
  const VkDeviceQueueCreateInfo queue_info{.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                           .queueFamilyIndex = queue_family_,
                                           .queueCount = 1,
                                           .pQueuePriorities = &priority};
  VkPhysicalDeviceFeatures supported{};
  vkGetPhysicalDeviceFeatures(physical_device_, &supported);
  VkPhysicalDeviceVulkan12Features features12{
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES, .timelineSemaphore = VK_TRUE};
  VkPhysicalDeviceFeatures2 features{.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                     .pNext = &features12};
  // Single-channel storage images (masks) need this; passes that use them check for it.
  features.features.shaderStorageImageExtendedFormats = supported.shaderStorageImageExtendedFormats;

  const auto available = device_extensions(physical_device_);
  std::vector<const char*> extensions;
  if (surface_ != VK_NULL_HANDLE) extensions.push_back(VK_KHR_SWAPCHAIN_EXTENSION_NAME);
  // The spec requires enabling it wherever a (portability) driver lists it.
  if (has_extension(available, "VK_KHR_portability_subset"))
    extensions.push_back("VK_KHR_portability_subset");

  const VkDeviceCreateInfo create{
      .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
      .pNext = &features,
      .queueCreateInfoCount = 1,
      .pQueueCreateInfos = &queue_info,
      .enabledExtensionCount = static_cast<std::uint32_t>(extensions.size()),
      .ppEnabledExtensionNames = extensions.data()};
  if (auto s = vk_status(vkCreateDevice(physical_device_, &create, nullptr, &device_),
                         format("creating the Vulkan device on {}", device_info_.name));
      !s) {
    device_ = VK_NULL_HANDLE;
    return s;
  }
  vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

  VkSemaphoreTypeCreateInfo timeline_type{.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                          .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE,
                                          .initialValue = 0};
  const VkSemaphoreCreateInfo semaphore_info{.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                             .pNext = &timeline_type};
  if (auto s = vk_status(vkCreateSemaphore(device_, &semaphore_info, nullptr, &timeline_),
                         "creating the timeline");
      !s) {
    return s;
  }
  const VkCommandPoolCreateInfo pool_info{.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                          .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
                                          .queueFamilyIndex = queue_family_};
  if (auto s = vk_status(vkCreateCommandPool(device_, &pool_info, nullptr, &one_shot_pool_),
                         "creating a command pool");
      !s) {
    return s;
  }
  name(device_, device_info_.name);
  name(queue_, "main queue");
  name(timeline_, "context timeline");
  name(one_shot_pool_, "one-shot commands");
  return ok();
}

Context::~Context() {
  if (device_ != VK_NULL_HANDLE) {
    vkDeviceWaitIdle(device_);
    deletions_.flush();
    if (one_shot_pool_ != VK_NULL_HANDLE) vkDestroyCommandPool(device_, one_shot_pool_, nullptr);
    if (timeline_ != VK_NULL_HANDLE) vkDestroySemaphore(device_, timeline_, nullptr);
    vkDestroyDevice(device_, nullptr);
  }
  deletions_.flush();
  if (instance_ == VK_NULL_HANDLE) return;
  if (surface_ != VK_NULL_HANDLE) vkDestroySurfaceKHR(instance_, surface_, nullptr);
  if (messenger_ != VK_NULL_HANDLE) {
    const auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy) destroy(instance_, messenger_, nullptr);
  }
  vkDestroyInstance(instance_, nullptr);
}

Result<std::uint64_t> Context::submit(const Submission& submission) {
  const std::uint64_t value = last_submitted_ + 1;
  const VkSemaphore signals[2] = {timeline_, submission.signal};
  const std::uint64_t signal_values[2] = {value, 0};  // the binary semaphore's value is ignored
  const std::uint32_t signal_count = submission.signal != VK_NULL_HANDLE ? 2 : 1;
  const std::uint32_t wait_count = submission.wait != VK_NULL_HANDLE ? 1 : 0;
  const std::uint64_t wait_value = 0;
  const VkTimelineSemaphoreSubmitInfo timeline{
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .waitSemaphoreValueCount = wait_count,
      .pWaitSemaphoreValues = &wait_value,
      .signalSemaphoreValueCount = signal_count,
      .pSignalSemaphoreValues = signal_values};
  const VkSubmitInfo info{.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                          .pNext = &timeline,
                          .waitSemaphoreCount = wait_count,
                          .pWaitSemaphores = &submission.wait,
                          .pWaitDstStageMask = &submission.wait_stage,
                          .commandBufferCount = 1,
                          .pCommandBuffers = &submission.commands,
                          .signalSemaphoreCount = signal_count,
                          .pSignalSemaphores = signals};
  if (auto s = vk_status(vkQueueSubmit(queue_, 1, &info, VK_NULL_HANDLE), "submitting GPU work");
      !s) {
    return std::unexpected(s.error());
  }
  last_submitted_ = value;
  return value;
}

Status Context::wait(std::uint64_t value, std::chrono::milliseconds timeout) {
  const VkSemaphoreWaitInfo info{.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                 .semaphoreCount = 1,
                                 .pSemaphores = &timeline_,
                                 .pValues = &value};
  const auto nanoseconds = static_cast<std::uint64_t>(std::chrono::nanoseconds(timeout).count());
  const VkResult waited = vkWaitSemaphores(device_, &info, nanoseconds);
  if (waited == VK_TIMEOUT) {
    return fail(ErrorCode::kDevice,
                "the GPU did not finish its work within {} ms (hung or too slow)", timeout.count());
  }
  if (auto s = vk_status(waited, "waiting for the GPU"); !s) return s;
  collect();
  return ok();
}

Status Context::run_one_shot(std::string_view name,
                             const std::function<void(VkCommandBuffer)>& record) {
  const VkCommandBufferAllocateInfo allocate{
      .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
      .commandPool = one_shot_pool_,
      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
      .commandBufferCount = 1};
  VkCommandBuffer commands = VK_NULL_HANDLE;
  if (auto s = vk_status(vkAllocateCommandBuffers(device_, &allocate, &commands),
                         "allocating a command buffer");
      !s) {
    return s;
  }
  this->name(commands, name);
  const VkCommandBufferBeginInfo begin{.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                       .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
  VK_CHECK(vkBeginCommandBuffer(commands, &begin));
  record(commands);
  VK_CHECK(vkEndCommandBuffer(commands));
  const auto value = submit({.commands = commands});
  // Freed through the deletion queue: after a timeout the buffer may still be executing.
  defer([device = device_, pool = one_shot_pool_, commands] {
    vkFreeCommandBuffers(device, pool, 1, &commands);
  });
  if (!value) return std::unexpected(value.error());
  if (auto s = wait(*value); !s) return std::unexpected(s.error().with_context(name));
  return ok();
}

std::uint64_t Context::completed() const {
  std::uint64_t value = 0;
  if (vkGetSemaphoreCounterValue(device_, timeline_, &value) != VK_SUCCESS) return 0;
  return value;
}

void Context::defer(std::function<void()> destroy) {
  deletions_.push(last_submitted_, std::move(destroy));
}

std::size_t Context::collect() {
  return deletions_.collect(completed());
}

std::optional<std::uint32_t> Context::find_memory_type(std::uint32_t type_bits,
                                                       VkMemoryPropertyFlags required,
                                                       VkMemoryPropertyFlags preferred) const {
  std::optional<std::uint32_t> fallback;
  for (std::uint32_t i = 0; i < memory_properties_.memoryTypeCount; ++i) {
    const VkMemoryPropertyFlags flags = memory_properties_.memoryTypes[i].propertyFlags;
    if (!(type_bits & (1u << i)) || (flags & required) != required) continue;
    if ((flags & preferred) == preferred) return i;
    if (!fallback) fallback = i;
  }
  return fallback;
}

void Context::set_object_name(VkObjectType type, std::uint64_t handle,
                              std::string_view name) const {
  if (!set_object_name_ || device_ == VK_NULL_HANDLE || handle == 0) return;
  const std::string text(name);
  const VkDebugUtilsObjectNameInfoEXT info{
      .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_OBJECT_NAME_INFO_EXT,
      .objectType = type,
      .objectHandle = handle,
      .pObjectName = text.c_str()};
  set_object_name_(device_, &info);
}

VKAPI_ATTR VkBool32 VKAPI_CALL Context::on_debug_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT /*types*/,
    const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
  auto* self = static_cast<Context*>(user);
  const std::string_view message = data && data->pMessage ? data->pMessage : "(no message)";
  const std::string_view id = data && data->pMessageIdName ? data->pMessageIdName : "";
  if (id == "Loader Message") {
    // The loader's view of a missing or broken driver: create() already returns one clear
    // line for that, so these details only go to the debug log.
    log::debug("vulkan loader: {}", message);
  } else if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
    self->validation_errors_.fetch_add(1);
    log::error("vulkan: {}", message);
  } else if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
    log::warn("vulkan: {}", message);
  } else {
    log::debug("vulkan: {}", message);
  }
  return VK_FALSE;  // the call that triggered the message goes on
}

}  // namespace mirage::render
