import COpenBLAS

/// The OpenBLAS (and its LAPACK) calls the engine makes, over Swift buffers.
public enum BLAS {
    /// The kernels OpenBLAS chose for this CPU when it was loaded: "Haswell", "SkylakeX", …, or
    /// "Prescott" (its SSE3 kernels) for a processor its version does not know.
    public static var kernels: String { String(cString: openblas_get_corename()) }
    /// How OpenBLAS was built ("OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY …").
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// C[m×n] = alpha · op(A) · B[k×n] + beta · C, row-major, with leading dimensions given;
    /// op(A) is A[m×k], or Aᵀ of A[k×m] if `transposeA`; likewise op(B).
    static func sgemm(m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, transposeA: Bool = false, transposeB: Bool = false) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// The same in float64, for small dense matrices (the covariances of the Wasserstein style loss).
    static func dgemm(m: Int, n: Int, k: Int, a: [Double], b: [Double], transposeB: Bool = false) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), blasint(k),
                    1, a, blasint(k), b, blasint(transposeB ? k : n), 0, &c, blasint(n))
        return c
    }

    static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(count)) }

    /// The eigenvalues (ascending) and unit eigenvectors (the columns of `vectors`, row-major
    /// n×n) of a symmetric n×n matrix, by LAPACK's dsyev.
    static func symmetricEigen(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
        precondition(matrix.count == n * n)
        var a = matrix  // symmetric: row- and column-major are the same matrix
        var values = [Double](repeating: 0, count: n)
        var size = Int32(n), info: Int32 = 0, workSize = Int32(max(1, 3 * n - 1) * 4)
        var work = [Double](repeating: 0, count: Int(workSize))
        dsyev_("V", "U", &size, &a, &size, &values, &work, &workSize, &info, 1, 1)
        precondition(info == 0, "dsyev failed: \(info)")
        // LAPACK returns eigenvector j in column j of its column-major array, i.e. row j here.
        var vectors = [Double](repeating: 0, count: n * n)
        for row in 0..<n { for column in 0..<n { vectors[row * n + column] = a[column * n + row] } }
        return (values, vectors)
    }
}

