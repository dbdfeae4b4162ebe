// The command-line program: cnn <command> [options]. Run from the repository with
// `npm run cnn -- <command> ...`. Bad arguments get a one-line error and exit code 2; failures
// (unreadable files, models that do not fit the data) exit with 1. Never a crash.
//
// One table of commands (below) gives the usage text, the dispatch and the unknown-command message;
// each command is a file, cmd_<group>.cpp, that defines its row.
#include <algorithm>
#include <cstring>
#include <iostream>
#include <new>

#include "args.h"
#include "core/parallel.h"
#include "kernels/dispatch.h"

using namespace cnn;
using namespace cnn::cli;

namespace {

const char* kThreadsHelp = "--threads N (default: the number of cores, at most 8)";

const std::vector<Command>& commands() {
  static const std::vector<Command> c{train_command(),     eval_command(),   predict_command(),    summary_command(),
                                      gradcheck_command(), search_command(), export_onnx_command()};
  return c;
}

std::string usage() {
  std::string u = "usage: cnn <command> [options]\ncommands:\n";
  for (const Command& c : commands()) {
    std::string name = c.name;
    name.resize(std::max<std::size_t>(name.size() + 1, 12), ' ');
    u += "  " + name + " " + c.summary + "\n";
  }
  return u + "every command also takes " + kThreadsHelp +
         "\nrun 'cnn <command> --help' for a command's options; 'cnn --version' for the build's SIMD width\n";
}

std::string names() {
  std::string n;
  for (const Command& c : commands()) n += (n.empty() ? "" : ", ") + std::string(c.name);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::cout << usage();
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    // The kernels' SIMD width (kernels/dispatch.h): the widest this CPU runs, or CNN_SIMD's choice.
    std::cout << "cnn: kernels " << kernels::simd_description() << "; CNN_SIMD=sse|avx2|avx512 chooses\n";
    return 0;
  }
  const std::string cmd = argv[1];
  const auto it = std::find_if(commands().begin(), commands().end(), [&](const Command& c) { return cmd == c.name; });
  if (it == commands().end()) {
    std::cerr << "cnn: unknown command '" << cmd << "' (commands: " << names() << "; see cnn --help)\n";
    return 2;
  }
  try {
    const Args a = parse(argc, argv, *it);
    if (a.count("--help")) {
      std::cout << it->help << "  " << kThreadsHelp << "\n";
      return 0;
    }
    if (a.count("--threads")) set_num_threads(static_cast<int>(number(a, "--threads", 0, 1, 64)));
    return it->run(a);
  } catch (const Usage& e) {
    std::cerr << "cnn " << cmd << ": " << e.what() << " (see cnn " << cmd << " --help)\n";
    return 2;
  } catch (const std::bad_alloc&) {
    // Tensors say what they were allocating (tensor.cpp); this is the rest: datasets, workspaces.
    std::cerr << "cnn " << cmd << ": out of memory (the machine could not give more; try a smaller model, batch or "
              << "--subset)\n";
    return 1;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    std::cerr << "cnn " << cmd << ": " << msg << "\n";
    return 1;
  }
}
