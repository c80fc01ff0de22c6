#include "editor/window.h"

#include <utility>

#include "engine/core/log.h"

namespace mirage::studio {
namespace {

void on_glfw_error(int code, const char* description) {
  // Failures reach the user through open()/create_surface(); the details are for the log.
  log::debug("glfw error {}: {}", code, description ? description : "");
}

// Anything the user did to the window since take_input() last looked (one window per process).
// Set from GLFW's callbacks, which ImGui's backend chains to when it installs its own.
bool g_input_seen = true;
void seen() { g_input_seen = true; }
void on_key(GLFWwindow*, int, int, int, int) { seen(); }
void on_char(GLFWwindow*, unsigned int) { seen(); }
void on_mouse_button(GLFWwindow*, int, int, int) { seen(); }
void on_cursor(GLFWwindow*, double, double) { seen(); }
void on_cursor_enter(GLFWwindow*, int) { seen(); }
void on_scroll(GLFWwindow*, double, double) { seen(); }
void on_focus(GLFWwindow*, int) { seen(); }
void on_resize(GLFWwindow*, int, int) { seen(); }
void on_refresh(GLFWwindow*) { seen(); }

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
  glfwSetKeyCallback(window, on_key);
  glfwSetCharCallback(window, on_char);
  glfwSetMouseButtonCallback(window, on_mouse_button);
  glfwSetCursorPosCallback(window, on_cursor);
  glfwSetCursorEnterCallback(window, on_cursor_enter);
  glfwSetScrollCallback(window, on_scroll);
  glfwSetWindowFocusCallback(window, on_focus);
  glfwSetFramebufferSizeCallback(window, on_resize);
  glfwSetWindowRefreshCallback(window, on_refresh);
  return Window(window);
}

bool Window::take_input() { return std::exchange(g_input_seen, false); }

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
