extension JobSettings {
    /// What a job gets for each parameter it leaves unset: the one table of defaults. The
    /// manifest's `resolved()` reads it, and Engine's own types take their defaults from it.
    public enum Defaults {
        /// The longer side of the result, and the iterations over all scales.
        public static let size = 512
        public static let iterations = 500
        /// One scale (no coarse-to-fine); with more, each half the next one's size.
        public static let scales = 1
        public static let scaleFactor = 2.0

        public static let contentLayers = ["block4_conv2"]
        public static let styleLayers = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
        public static let histogramLayers = ["block1_conv1", "block4_conv1"]
        public static let contentWeight = 1.0
        public static let styleWeight = 1e4
        public static let tvWeight = 0.0
        /// 0: no histogram loss.
        public static let histogramWeight = 0.0
        public static let styleScale = 1.0

        public static let initial = InitialImage.content
        public static let seed = 0
        public static let model = "vgg16"
        /// The defaults of the choices a recipe makes (padding, pooling, Gram normalisation,
        /// style layer weights, style trimming) are the recipe's.
        public static let recipe = Recipe.clean
        public static let preserveColors = ColourPreservation.none

        public static let optimizer = OptimizerKind.lbfgsb
        public static let history = 10
        /// 0: L-BFGS-B runs every iteration asked for.
        public static let tolerance = 0.0
        /// Adam's step, in pixel values.
        public static let learningRate = 4.0

        public static let frameEvery = 20
        /// The outputs': hundredths of a second between frames, the animation's longer side,
        /// the result's format and JPEG quality.
        public static let frameDelay = 10
        public static let animationSize = 512
        public static let format = ImageFormat.png
        public static let quality = 95
    }
}
