/// torchvision ConvNeXt-Tiny (Liu et al. 2022; torchvision `models/convnext.py`).
enum ConvNeXt {
    static func buildTiny(classes: Int = 1000) -> LayerGraph {
        var b = GraphBuilder()
        b.add("features.0.0", Conv2d(96, kernel: 4, stride: 4))
        b.add("features.0.1", LayerNorm2d())
        let stages: [(dim: Int, depth: Int)] = [(96, 3), (192, 3), (384, 9), (768, 3)]
        let totalBlocks = stages.reduce(0) { $0 + $1.depth }
        var blockID = 0
        for (stageIndex, stage) in stages.enumerated() {
            let stagePrefix = "features.\(2 * stageIndex + 1)"
            for index in 0..<stage.depth {
                let p = "\(stagePrefix).\(index)"
                b.block = p
                let input = b.last
                b.add("\(p).block.0", Conv2d(stage.dim, kernel: 7, padding: 3, groups: stage.dim))
                b.add("\(p).block.1", Permute([1, 2, 0]))
                b.add("\(p).block.2", LayerNorm())
                b.add("\(p).block.3", Linear(4 * stage.dim))
                b.add("\(p).block.4", Activation(.gelu))
                b.add("\(p).block.5", Linear(stage.dim))
                b.add("\(p).block.6", Permute([2, 0, 1]))
                b.add("\(p).layer_scale", LayerScale())
                // torchvision: stochastic_depth_prob 0.1 scaled by the block's position.
                b.add("\(p).stochastic_depth", StochasticDepth(0.1 * Double(blockID) / Double(totalBlocks - 1)))
                b.add("\(p).add", Add(inplace: true), inputs: [b.last, input])
                blockID += 1
            }
            if stageIndex + 1 < stages.count {
                let d = "features.\(2 * stageIndex + 2)"
                b.block = d
                b.add("\(d).0", LayerNorm2d())
                b.add("\(d).1", Conv2d(stages[stageIndex + 1].dim, kernel: 2, stride: 2))
            }
        }
        b.block = nil
        b.add("avgpool", AdaptiveAvgPool2d(1))
        b.add("classifier.0", LayerNorm2d())
        b.add("classifier.1", Flatten())
        b.add("classifier.2", Linear(classes), role: .head)
        return b.graph(name: "convnext_tiny", family: .cnn, notes: ["torchvision convnext_tiny"])
    }
}

/// torchvision RegNetY-400MF (Radosavovic et al. 2020; torchvision `models/regnet.py`).
enum RegNet {
    /// Stage depths and widths that torchvision's `BlockParams.from_init_params(depth=16, w_0=48, w_a=27.89,
    /// w_m=2.09, group_width=8, se_ratio=0.25)` produces.
    static let y400mf: (depths: [Int], widths: [Int], groupWidth: Int, seRatio: Double) = ([1, 3, 6, 6], [48, 104, 208, 440], 8, 0.25)

    static func buildY400MF(classes: Int = 1000) -> LayerGraph {
        let plan = y400mf
        var b = GraphBuilder()
        b.convNormActivation("stem", 32, kernel: 3, stride: 2)
        var widthIn = 32
        for (stage, (depth, width)) in zip(plan.depths, plan.widths).enumerated() {
            for index in 0..<depth {
                let p = "trunk_output.block\(stage + 1).block\(stage + 1)-\(index)"
                b.block = p
                let input = b.last
                let stride = index == 0 ? 2 : 1
                var shortcut = input
                if widthIn != width || stride != 1 {
                    shortcut = b.convNormActivation("\(p).proj", width, kernel: 1, stride: stride, activation: nil)
                }
                let f = "\(p).f"
                b.add("\(f).a.0", Conv2d(width, kernel: 1, bias: false), inputs: [input])
                b.add("\(f).a.1", BatchNorm2d())
                b.add("\(f).a.2", Activation.relu(inplace: true))
                let grouped = b.convNormActivation("\(f).b", width, kernel: 3, stride: stride, groups: width / plan.groupWidth)
                b.squeezeExcitation(
                    "\(f).se", input: grouped, channels: width, squeeze: Int((plan.seRatio * Double(widthIn)).rounded()),
                    activation: Activation(.relu), scale: .sigmoid)
                let transformed = b.convNormActivation("\(f).c", width, kernel: 1, activation: nil)
                b.add("\(p).add", Add(), inputs: [shortcut, transformed])
                b.add("\(p).activation", Activation.relu(inplace: true))
                widthIn = width
            }
        }
        b.block = nil
        b.add("avgpool", AdaptiveAvgPool2d(1))
        b.add("flatten", Flatten())
        b.add("fc", Linear(classes), role: .head)
        return b.graph(name: "regnet_y_400mf", family: .cnn, notes: ["torchvision regnet_y_400mf"])
    }
}
