// Dense linear algebra the data tier needs (whitening): a symmetric eigensolver, in double.
#pragma once

#include <cstddef>
#include <vector>

namespace cnn {

// Eigen-decomposition of a symmetric n x n matrix (row-major, double): Householder reduction to
// tridiagonal form, then implicit QR steps with Wilkinson shifts. On return values[k] are the
// eigenvalues in descending order and row k of `vectors` (n x n row-major) the unit eigenvector of
// values[k]: A = sum_k values[k] v_k v_k^T. `a` is overwritten. Throws cnn::Error if the
// iteration does not converge (it does for every finite symmetric matrix in practice) or on
// non-finite input.
void symmetric_eigen(std::vector<double>& a, std::size_t n, std::vector<double>& values, std::vector<double>& vectors);

}  // namespace cnn
