/// Building blocks shared by the torchvision builders, named as torchvision names their modules.
extension GraphBuilder {
    /// torchvision's `Conv2dNormActivation`: `prefix.0` conv (bias only without a norm), `prefix.1` norm,
    /// `prefix.2` activation (in place, as torchvision constructs it).
    @discardableResult
    mutating func convNormActivation(
        _ prefix: String, _ outChannels: Int, kernel: Int, stride: Int = 1, groups: Int = 1, dilation: Int = 1,
        norm: (any Layer)? = BatchNorm2d(), activation: ActivationFunction? = .relu, padding: Int? = nil,
        bias: Bool? = nil
    ) -> String {
        add(
            "\(prefix).0",
            Conv2d(
                outChannels, kernel: kernel, stride: stride, padding: padding ?? (kernel - 1) / 2 * dilation,
                dilation: dilation, groups: groups, bias: bias ?? (norm == nil)))
        if let norm { add("\(prefix).1", norm) }
        if let activation { add("\(prefix).2", Activation(activation, inplace: true)) }
        return last
    }

    /// torchvision's `SqueezeExcitation` on `input` (`channels` wide): global average pool, `fc1` to `squeeze`
    /// channels, `activation`, `fc2` back, `scale_activation`, and the product with the input (`prefix.scale`).
    @discardableResult
    mutating func squeezeExcitation(
        _ prefix: String, input: String, channels: Int, squeeze: Int, activation: Activation, scale: ActivationFunction
    ) -> String {
        add("\(prefix).avgpool", AdaptiveAvgPool2d(1), inputs: [input])
        add("\(prefix).fc1", Conv2d(squeeze, kernel: 1))
        add("\(prefix).activation", activation)
        add("\(prefix).fc2", Conv2d(channels, kernel: 1))
        let gate = add("\(prefix).scale_activation", Activation(scale))
        return add("\(prefix).scale", Mul(), inputs: [gate, input])
    }
}

/// torchvision's `_make_divisible`: rounds `value` to a multiple of `divisor` without going below 90% of it.
func makeDivisible(_ value: Double, _ divisor: Int = 8) -> Int {
    var rounded = max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
    if Double(rounded) < 0.9 * value { rounded += divisor }
    return rounded
}
