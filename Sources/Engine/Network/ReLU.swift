// ReLU's backward. (The forward ReLU is fused into the convolution's epilogue.) The backward
// pass needs only the forward output: the gradient passes where the output is positive. The
// convolutions apply it while they copy the gradient into their own buffers (`reluOutput` of
// `ConvolutionAlgorithm.backward`), so that it costs no pass of its own over memory.
public enum ReLU {
    /// dX = dY where Y > 0, else 0, for `count` values; `output` is the forward result Y.
    @inline(__always)
    public static func backward(_ gradient: UnsafePointer<Float>, output: UnsafePointer<Float>, count: Int,
                                into dx: UnsafeMutablePointer<Float>) {
        // Both values are loaded whatever the test says, so that the loop is a branch-free select
        // the compiler vectorises (a conditional load would keep it scalar).
        for i in 0..<count {
            let g = gradient[i], y = output[i]
            dx[i] = y > 0 ? g : 0
        }
    }
}
