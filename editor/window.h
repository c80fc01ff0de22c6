// The OS window of Mirage Studio (GLFW), and what render::Context needs from it to present:
// the instance extensions and a surface factory. render never sees GLFW.
//
//   auto window = Window::open("Mirage Studio", 1280, 720);
//   if (!window) ...;   // "no display: set DISPLAY or run under xvfb-run"
//   options.instance_extensions = window->required_instance_extensions();
//   options.create_surface = [&](VkInstance i) { return window->create_surface(i); };
//
// One Window per process (it owns glfwInit/glfwTerminate); main thread only.
#pragma once

#define GLFW_INCLUDE_VULKAN
#include <GLFW/glfw3.h>

#include <string>
#include <vector>

#include "engine/core/error.h"

namespace mirage::studio {

class Window {
 public:
  // kUnsupported when there is no display or GLFW finds no Vulkan loader.
  static Result<Window> open(const char* title, int width, int height);
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;
  Window(Window&& other) noexcept;
  Window& operator=(Window&& other) = delete;
  ~Window();

  std::vector<std::string> required_instance_extensions() const;
  // The surface belongs to the caller (render::Context destroys it before the window goes).
  Result<VkSurfaceKHR> create_surface(VkInstance instance) const;
  // In pixels; {0, 0} while minimised.
  VkExtent2D framebuffer_size() const;
  bool should_close() const { return glfwWindowShouldClose(window_) != 0; }
  // True when input (keys, mouse, focus) or a resize or refresh came since the last call: the
  // studio redraws then, not on a timer. Install before ImGui's backend, which chains to these.
  static bool take_input();
  GLFWwindow* handle() const { return window_; }

 private:
  explicit Window(GLFWwindow* window) : window_(window) {}
  GLFWwindow* window_ = nullptr;
};

}  // namespace mirage::studio
