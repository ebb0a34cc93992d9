import COpenBLAS

/// The two OpenBLAS calls the engine makes, over Swift buffers.
enum BLAS {
    /// C[m×n] = alpha · op(A) · B[k×n] + beta · C, row-major, with leading dimensions given;
    /// op(A) is A[m×k], or Aᵀ of A[k×m] if `transposeA`; likewise op(B).
    static func sgemm(m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, transposeA: Bool = false, transposeB: Bool = false) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(count)) }
}

