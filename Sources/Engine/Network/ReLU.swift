// ReLU's backward. (The forward ReLU is fused into the convolution's epilogue.) The backward
// pass needs only the forward output: the gradient passes where the output is positive.
public enum ReLU {
    /// dX = dY where Y > 0, else 0; `output` is the forward result Y.
    public static func backward(_ gradient: Tensor, output: Tensor) -> Tensor {
        precondition(gradient.count == output.count)
        return Tensor(channels: gradient.channels, height: gradient.height, width: gradient.width) { dx in
            gradient.data.withUnsafeBufferPointer { g in
                output.data.withUnsafeBufferPointer { y in
                    let gp = g.baseAddress!, yp = y.baseAddress!
                    Parallel.forEachRange(g.count) { range in
                        for i in range { dx[i] = yp[i] > 0 ? gp[i] : 0 }
                    }
                }
            }
        }
    }
}
