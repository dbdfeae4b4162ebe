// The element-wise family (kernels/eltwise/): activations, bias and batch-norm planes against
// their scalar references over sizes around the vector width and the parallel grain (kernel_cases.h).
#include "kernel_test.h"

namespace cnn::test {

KERNEL_FAMILY_TESTS(KernelEltwise, "eltwise");

}  // namespace cnn::test
