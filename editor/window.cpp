#include "editor/window.h"

#include <utility>

#include "engine/core/log.h"

namespace mirage::studio {
namespace {

void on_glfw_error(int code, const char* description) {
  // Failures reach the user through open()/create_surface(); the details are for the log.
  log::debug("glfw error {}: {}", code, description ? description : "");
}

}  // namespace

Result<Window> Window::open(const char* title, int width, int height) {
  glfwSetErrorCallback(&on_glfw_error);
  if (!glfwInit())
    return fail(ErrorCode::kUnsupported, "no display: set DISPLAY, run under xvfb-run, or use the headless 'mirage demo'");
  if (!glfwVulkanSupported()) {
    glfwTerminate();
    return fail(ErrorCode::kUnsupported,
                "no Vulkan loader for the window: install libvulkan1 and mesa-vulkan-drivers");
  }
  glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
  GLFWwindow* window = glfwCreateWindow(width, height, title, nullptr, nullptr);
  if (!window) {
    glfwTerminate();
    return fail(ErrorCode::kUnsupported,
                "no display: cannot open a window (set DISPLAY or run under xvfb-run)");
  }
  return Window(window);
}

Window::Window(Window&& other) noexcept : window_(std::exchange(other.window_, nullptr)) {}

Window::~Window() {
  if (!window_) return;
  glfwDestroyWindow(window_);
  glfwTerminate();
}

std::vector<std::string> Window::required_instance_extensions() const {
  std::uint32_t count = 0;
  const char** names = glfwGetRequiredInstanceExtensions(&count);
  return {names, names + count};
}

Result<VkSurfaceKHR> Window::create_surface(VkInstance instance) const {
  VkSurfaceKHR surface = VK_NULL_HANDLE;
  if (glfwCreateWindowSurface(instance, window_, nullptr, &surface) != VK_SUCCESS) {
    return fail(ErrorCode::kUnsupported, "no display: cannot make a Vulkan surface for the window");
  }
  return surface;
}

VkExtent2D Window::framebuffer_size() const {
  int width = 0;
  int height = 0;
  glfwGetFramebufferSize(window_, &width, &height);
  return {static_cast<std::uint32_t>(width), static_cast<std::uint32_t>(height)};
}

}  // namespace mirage::studio
