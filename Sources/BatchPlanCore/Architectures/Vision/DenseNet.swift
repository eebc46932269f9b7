/// torchvision DenseNet (Huang et al. 2017; torchvision `models/densenet.py`, `memory_efficient=False`): each dense
/// layer concatenates all earlier features into a new tensor that its first norm saves, so saved memory grows
/// quadratically with a block's depth.
enum DenseNet {
    static func build(name: String, blocks: [Int], growth: Int = 32, initialFeatures: Int = 64, bottleneck: Int = 4, classes: Int = 1000) -> LayerGraph {
        var b = GraphBuilder()
        b.add("features.conv0", Conv2d(initialFeatures, kernel: 7, stride: 2, padding: 3, bias: false))
        b.add("features.norm0", BatchNorm2d())
        b.add("features.relu0", Activation.relu(inplace: true))
        b.add("features.pool0", MaxPool2d(kernel: 3, stride: 2, padding: 1))
        var channels = initialFeatures
        for (blockIndex, layers) in blocks.enumerated() {
            let block = "features.denseblock\(blockIndex + 1)"
            b.block = block
            var features = [b.last]
            for layer in 1...layers {
                let p = "\(block).denselayer\(layer)"
                b.add("\(p).cat", Concat(), inputs: features)
                b.add("\(p).norm1", BatchNorm2d())
                b.add("\(p).relu1", Activation.relu(inplace: true))
                b.add("\(p).conv1", Conv2d(bottleneck * growth, kernel: 1, bias: false))
                b.add("\(p).norm2", BatchNorm2d())
                b.add("\(p).relu2", Activation.relu(inplace: true))
                features.append(b.add("\(p).conv2", Conv2d(growth, kernel: 3, padding: 1, bias: false)))
            }
            b.add("\(block).cat", Concat(), inputs: features)
            channels += layers * growth
            if blockIndex + 1 < blocks.count {
                let t = "features.transition\(blockIndex + 1)"
                b.block = t
                b.add("\(t).norm", BatchNorm2d())
                b.add("\(t).relu", Activation.relu(inplace: true))
                channels /= 2
                b.add("\(t).conv", Conv2d(channels, kernel: 1, bias: false))
                b.add("\(t).pool", AvgPool2d(kernel: 2, stride: 2))
            }
        }
        b.block = nil
        b.add("features.norm5", BatchNorm2d())
        b.add("relu", Activation.relu(inplace: true))
        b.add("avgpool", AdaptiveAvgPool2d(1))
        b.add("flatten", Flatten())
        b.add("classifier", Linear(classes), role: .head)
        return b.graph(
            name: name, family: .cnn,
            notes: ["torchvision \(name) (memory_efficient=False); `.cat` nodes are the torch.cat calls, not modules"])
    }
}
