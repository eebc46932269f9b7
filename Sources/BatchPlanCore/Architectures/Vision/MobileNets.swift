/// torchvision MobileNetV2 (Sandler et al. 2018; torchvision `models/mobilenetv2.py`), width 1.0.
enum MobileNetV2 {
    static func build(classes: Int = 1000) -> LayerGraph {
        var b = GraphBuilder()
        b.convNormActivation("features.0", 32, kernel: 3, stride: 2, activation: .relu6)
        // (expansion t, output channels c, repeats n, first stride s), from the paper's Table 2.
        let settings: [(t: Int, c: Int, n: Int, s: Int)] = [
            (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
        ]
        var inChannels = 32
        var index = 1
        for setting in settings {
            for position in 0..<setting.n {
                let stride = position == 0 ? setting.s : 1
                let p = "features.\(index)"
                b.block = p
                let input = b.last
                let hidden = inChannels * setting.t
                var layer = 0
                if setting.t != 1 {
                    b.convNormActivation("\(p).conv.\(layer)", hidden, kernel: 1, activation: .relu6)
                    layer += 1
                }
                b.convNormActivation("\(p).conv.\(layer)", hidden, kernel: 3, stride: stride, groups: hidden, activation: .relu6)
                b.add("\(p).conv.\(layer + 1)", Conv2d(setting.c, kernel: 1, bias: false))
                b.add("\(p).conv.\(layer + 2)", BatchNorm2d())
                if stride == 1 && inChannels == setting.c {
                    b.add("\(p).add", Add(), inputs: [input, b.last])
                }
                inChannels = setting.c
                index += 1
            }
        }
        b.block = nil
        b.convNormActivation("features.18", 1280, kernel: 1, activation: .relu6)
        b.add("avgpool", AdaptiveAvgPool2d(1))
        b.add("flatten", Flatten())
        b.add("classifier.0", Dropout(0.2))
        b.add("classifier.1", Linear(classes), role: .head)
        return b.graph(name: "mobilenet_v2", family: .cnn, notes: ["torchvision mobilenet_v2"])
    }
}

/// torchvision MobileNetV3-Large (Howard et al. 2019; torchvision `models/mobilenetv3.py`).
enum MobileNetV3 {
    static func buildLarge(classes: Int = 1000) -> LayerGraph {
        var b = GraphBuilder()
        b.convNormActivation("features.0", 16, kernel: 3, stride: 2, activation: .hardswish)
        // (input, kernel, expanded, output, squeeze-excitation, hard-swish, stride), torchvision's
        // `_mobilenet_v3_conf("mobilenet_v3_large")`.
        let settings: [(input: Int, kernel: Int, expanded: Int, output: Int, se: Bool, hs: Bool, stride: Int)] = [
            (16, 3, 16, 16, false, false, 1), (16, 3, 64, 24, false, false, 2), (24, 3, 72, 24, false, false, 1),
            (24, 5, 72, 40, true, false, 2), (40, 5, 120, 40, true, false, 1), (40, 5, 120, 40, true, false, 1),
            (40, 3, 240, 80, false, true, 2), (80, 3, 200, 80, false, true, 1), (80, 3, 184, 80, false, true, 1),
            (80, 3, 184, 80, false, true, 1), (80, 3, 480, 112, true, true, 1), (112, 3, 672, 112, true, true, 1),
            (112, 5, 672, 160, true, true, 2), (160, 5, 960, 160, true, true, 1), (160, 5, 960, 160, true, true, 1),
        ]
        for (offset, s) in settings.enumerated() {
            let p = "features.\(offset + 1)"
            b.block = p
            let input = b.last
            let activation: ActivationFunction = s.hs ? .hardswish : .relu
            var layer = 0
            if s.expanded != s.input {
                b.convNormActivation("\(p).block.\(layer)", s.expanded, kernel: 1, activation: activation)
                layer += 1
            }
            let depthwise = b.convNormActivation(
                "\(p).block.\(layer)", s.expanded, kernel: s.kernel, stride: s.stride, groups: s.expanded,
                activation: activation)
            layer += 1
            if s.se {
                b.squeezeExcitation(
                    "\(p).block.\(layer)", input: depthwise, channels: s.expanded, squeeze: makeDivisible(Double(s.expanded / 4)),
                    activation: Activation(.relu), scale: .hardsigmoid)
                layer += 1
            }
            b.convNormActivation("\(p).block.\(layer)", s.output, kernel: 1, activation: nil)
            if s.stride == 1 && s.input == s.output {
                b.add("\(p).add", Add(), inputs: [input, b.last])
            }
        }
        b.block = nil
        b.convNormActivation("features.16", 960, kernel: 1, activation: .hardswish)
        b.add("avgpool", AdaptiveAvgPool2d(1))
        b.add("flatten", Flatten())
        b.add("classifier.0", Linear(1280))
        b.add("classifier.1", Activation(.hardswish, inplace: true))
        b.add("classifier.2", Dropout(0.2, inplace: true))
        b.add("classifier.3", Linear(classes), role: .head)
        return b.graph(name: "mobilenet_v3_large", family: .cnn, notes: ["torchvision mobilenet_v3_large"])
    }
}

/// torchvision EfficientNet-B0 (Tan & Le 2019; torchvision `models/efficientnet.py`).
enum EfficientNet {
    static func buildB0(classes: Int = 1000) -> LayerGraph {
        var b = GraphBuilder()
        b.convNormActivation("features.0", 32, kernel: 3, stride: 2, activation: .silu)
        // (expansion, kernel, stride, input, output, layers), torchvision's `_efficientnet_conf` for B0.
        let stages: [(expand: Int, kernel: Int, stride: Int, input: Int, output: Int, layers: Int)] = [
            (1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
            (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1),
        ]
        let totalBlocks = stages.reduce(0) { $0 + $1.layers }
        var blockID = 0
        for (stageIndex, stage) in stages.enumerated() {
            for index in 0..<stage.layers {
                let inChannels = index == 0 ? stage.input : stage.output
                let stride = index == 0 ? stage.stride : 1
                let p = "features.\(stageIndex + 1).\(index)"
                b.block = p
                let input = b.last
                let expanded = makeDivisible(Double(inChannels * stage.expand))
                var layer = 0
                if expanded != inChannels {
                    b.convNormActivation("\(p).block.\(layer)", expanded, kernel: 1, activation: .silu)
                    layer += 1
                }
                let depthwise = b.convNormActivation(
                    "\(p).block.\(layer)", expanded, kernel: stage.kernel, stride: stride, groups: expanded, activation: .silu)
                layer += 1
                b.squeezeExcitation(
                    "\(p).block.\(layer)", input: depthwise, channels: expanded, squeeze: max(1, inChannels / 4),
                    activation: Activation(.silu, inplace: true), scale: .sigmoid)
                layer += 1
                b.convNormActivation("\(p).block.\(layer)", stage.output, kernel: 1, activation: nil)
                if stride == 1 && inChannels == stage.output {
                    // torchvision: stochastic_depth_prob 0.2 scaled by the block's position.
                    b.add("\(p).stochastic_depth", StochasticDepth(0.2 * Double(blockID) / Double(totalBlocks)))
                    b.add("\(p).add", Add(inplace: true), inputs: [b.last, input])
                }
                blockID += 1
            }
        }
        b.block = nil
        b.convNormActivation("features.8", 1280, kernel: 1, activation: .silu)
        b.add("avgpool", AdaptiveAvgPool2d(1))
        b.add("flatten", Flatten())
        b.add("classifier.0", Dropout(0.2, inplace: true))
        b.add("classifier.1", Linear(classes), role: .head)
        return b.graph(name: "efficientnet_b0", family: .cnn, notes: ["torchvision efficientnet_b0"])
    }
}
