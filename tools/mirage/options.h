// A small command-line option parser for the subcommands.
//
//   Options opts("bench step");
//   opts.add("--batch", "16", "images per step");
//   opts.flag("--json", "machine-readable output");
//   if (auto s = opts.parse(args); !s) return usage_error(opts, s.error());
//   int batch = opts.get_int("--batch");
//
// Options take the form "--name value" or "--name=value"; flags take no value. Unknown options,
// missing values and malformed numbers are errors naming the option, and so is a word that is no
// option beyond the positional arguments a command allows (none unless allow_positional()).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/core/error.h"

namespace mirage::cli {

class Options {
 public:
  explicit Options(std::string command) : command_(std::move(command)) {}

  void add(const std::string& name, std::string default_value, std::string help);
  void flag(const std::string& name, std::string help);
  Status parse(const std::vector<std::string>& args);
  void allow_positional(std::size_t count) { allowed_positional_ = count; }

  const std::string& get(const std::string& name) const;
  Result<long long> get_int(const std::string& name, long long min, long long max) const;
  Result<double> get_double(const std::string& name, double min, double max) const;
  bool has(const std::string& name) const;   // a flag was given, or an option was given explicitly
  bool wants_help() const { return help_; }  // "--help" or "-h" was given
  const std::vector<std::string>& positional() const { return positional_; }
  // The options and flags given explicitly, as arguments again ("--name", "value"), leaving out
  // `except`: to hand them on to a child process.
  std::vector<std::string> given_arguments(const std::vector<std::string>& except) const;
  std::string usage() const;
  const std::string& command() const { return command_; }

 private:
  struct Spec {
    std::string value;
    std::string help;
    bool is_flag = false;
    bool given = false;
  };
  std::string command_;
  std::map<std::string, Spec> specs_;
  std::vector<std::string> order_;
  std::vector<std::string> positional_;
  std::size_t allowed_positional_ = 0;
  bool help_ = false;
};

// Prints one line "mirage <command>: <message> (see 'mirage <command> --help')"; returns 2.
int usage_error(const Options& options, const Error& error);
// Prints "mirage <command>: <message>" to stderr; returns 1.
int command_error(const std::string& command, const Error& error);

}  // namespace mirage::cli
