// The pooling family (kernels/pool/): max, average and global average, forward and backward,
// against their scalar references (kernel_cases.h: ties, odd sizes, windows wider than strides).
#include "kernel_test.h"

namespace cnn::test {

KERNEL_FAMILY_TESTS(KernelPool, "pool");

}  // namespace cnn::test
