/// torchvision ResNets (He et al. 2016, "Deep Residual Learning for Image Recognition"; torchvision
/// `models/resnet.py`), including Wide ResNet-50-2 (Zagoruyko & Komodakis 2016).
enum ResNet {
    /// Basic (two 3×3 convolutions) or bottleneck (1×1, 3×3, 1×1 with expansion 4) blocks.
    enum BlockKind { case basic, bottleneck }

    /// Builds a ResNet with `layers` blocks per stage; `widthPerGroup` 128 gives Wide ResNet-50-2.
    static func build(name: String, kind: BlockKind, layers: [Int], widthPerGroup: Int = 64, classes: Int = 1000) -> LayerGraph {
        var b = GraphBuilder()
        b.add("conv1", Conv2d(64, kernel: 7, stride: 2, padding: 3, bias: false))
        b.add("bn1", BatchNorm2d())
        b.add("relu", Activation.relu(inplace: true))
        b.add("maxpool", MaxPool2d(kernel: 3, stride: 2, padding: 1))
        var inChannels = 64
        for (stage, count) in layers.enumerated() {
            let planes = 64 << stage
            for index in 0..<count {
                let prefix = "layer\(stage + 1).\(index)"
                let stride = stage > 0 && index == 0 ? 2 : 1
                b.block = prefix
                let input = b.last
                let outChannels = kind == .basic ? planes : planes * 4
                switch kind {
                case .basic:
                    b.add("\(prefix).conv1", Conv2d(planes, kernel: 3, stride: stride, padding: 1, bias: false))
                    b.add("\(prefix).bn1", BatchNorm2d())
                    b.add("\(prefix).relu", Activation.relu(inplace: true))
                    b.add("\(prefix).conv2", Conv2d(planes, kernel: 3, padding: 1, bias: false))
                    b.add("\(prefix).bn2", BatchNorm2d())
                case .bottleneck:
                    let width = planes * widthPerGroup / 64
                    b.add("\(prefix).conv1", Conv2d(width, kernel: 1, bias: false))
                    b.add("\(prefix).bn1", BatchNorm2d())
                    b.add("\(prefix).relu", Activation.relu(inplace: true))
                    b.add("\(prefix).conv2", Conv2d(width, kernel: 3, stride: stride, padding: 1, bias: false))
                    b.add("\(prefix).bn2", BatchNorm2d())
                    b.add("\(prefix).relu#2", Activation.relu(inplace: true))
                    b.add("\(prefix).conv3", Conv2d(outChannels, kernel: 1, bias: false))
                    b.add("\(prefix).bn3", BatchNorm2d())
                }
                let residual = b.last
                var identity = input
                if stride != 1 || inChannels != outChannels {
                    b.add("\(prefix).downsample.0", Conv2d(outChannels, kernel: 1, stride: stride, bias: false), inputs: [input])
                    identity = b.add("\(prefix).downsample.1", BatchNorm2d())
                }
                // `out += identity; out = self.relu(out)`: both in place on the last norm's output.
                b.add("\(prefix).add", Add(inplace: true), inputs: [residual, identity])
                b.add("\(prefix).relu#\(kind == .basic ? 2 : 3)", Activation.relu(inplace: true))
                inChannels = outChannels
            }
        }
        b.block = nil
        b.add("avgpool", AdaptiveAvgPool2d(1))
        b.add("flatten", Flatten())
        b.add("fc", Linear(classes), role: .head)
        return b.graph(
            name: name, family: .cnn,
            notes: ["torchvision \(name); a module called more than once (a block's relu) appears as name#2, name#3"])
    }
}
