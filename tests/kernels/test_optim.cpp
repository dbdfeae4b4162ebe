// The optimizer family (kernels/optim/): every update rule against its scalar reference, bit for
// bit, over sizes around the vector width and the parallel grain (kernel_cases.h).
#include "kernel_test.h"

namespace cnn::test {

KERNEL_FAMILY_TESTS(KernelOptim, "optim");

}  // namespace cnn::test
