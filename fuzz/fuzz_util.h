// Shared by the libFuzzer targets in fuzz/ (built by scripts/fuzz.sh in build/fuzz).
//
// The contract under test: a parser of outside data either returns a valid result or throws
// cnn::Error with a message. The targets catch cnn::Error and nothing else as a rejection.
// Anything else is a finding and aborts with a line naming it, so that libFuzzer saves the input:
//   - another exception escaping (std::exception is caught only to print its type and message
//     before aborting: an nlohmann json::type_error or std::out_of_range from deep inside is a
//     parser that forgot to check something, never an acceptable refusal);
//   - a result that breaks the parser's own promises (FUZZ_CHECK);
//   - crashes, leaks, undefined behaviour, timeouts and huge allocations, reported by the sanitizers
//     and libFuzzer themselves.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

#include "core/parallel.h"
#include "core/tensor.h"

// A broken invariant of an accepted input.
#define FUZZ_CHECK(cond)                                                                                \
  do {                                                                                                  \
    if (!(cond)) {                                                                                      \
      std::fprintf(stderr, "fuzz finding: invariant broken at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                                     \
    }                                                                                                   \
  } while (0)

namespace fuzz {

// Runs f; a cnn::Error is a clean rejection, anything else a finding.
template <class F>
void expect_clean(const char* what, F&& f) {
  try {
    f();
  } catch (const cnn::Error&) {
    // A clear refusal: what every malformed input must get.
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz finding: %s: %s escaped instead of cnn::Error: %s\n", what, typeid(e).name(), e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "fuzz finding: %s: a non-std exception escaped\n", what);
    std::abort();
  }
}

// One thread: reproducible runs, and no pool threads for libFuzzer's leak check to trip over.
inline void init_once() {
  static const bool done = [] {
    cnn::set_num_threads(1);
    return true;
  }();
  (void)done;
}

}  // namespace fuzz
