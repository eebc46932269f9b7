/// LeNet-5 as LeCun et al. describe it ("Gradient-based learning applied to document recognition", Proc. IEEE
/// 86(11), 1998, section II.B) for 1×32×32 inputs and 10 classes: C1 6@5×5, S2 2×2 subsampling, C3 16@5×5, S4,
/// C5 120@5×5, F6 84 units, 10 outputs; tanh activations.
///
/// Modernized as PyTorch tutorials write it: S2/S4 as parameter-free average pooling (the paper's subsampling has a
/// trainable coefficient and bias per map), C3 fully connected to S2 (the paper's sparse table has 1,516 weights
/// instead of 2,416) and a linear output instead of RBF units. Parameters: 156 + 2,416 + 48,120 + 10,164 + 850 =
/// 61,706. Like the network it describes, it takes 32×32 inputs only (C5 must come out 1×1).
enum LeNet {
    static let source = "LeCun et al. 1998, Proc. IEEE 86(11):2278-2324, section II.B (modernized: average pooling, full C3, linear output)"

    static func build() -> LayerGraph {
        var b = GraphBuilder()
        b.add("conv1", Conv2d(6, kernel: 5))
        b.add("act1", Activation(.tanh))
        b.add("pool1", AvgPool2d(kernel: 2))
        b.add("conv2", Conv2d(16, kernel: 5))
        b.add("act2", Activation(.tanh))
        b.add("pool2", AvgPool2d(kernel: 2))
        b.add("conv3", Conv2d(120, kernel: 5))
        b.add("act3", Activation(.tanh))
        b.add("flatten", Flatten())
        b.add("fc1", Linear(84, inFeatures: 120))
        b.add("act4", Activation(.tanh))
        b.add("fc2", Linear(10), role: .head)
        return b.graph(name: "lenet5", family: .cnn, notes: [source])
    }
}

/// torchvision AlexNet (Krizhevsky et al. 2012, as in the "one weird trick" paper; torchvision `models/alexnet.py`).
enum AlexNet {
    static func build(classes: Int = 1000) -> LayerGraph {
        var b = GraphBuilder()
        b.add("features.0", Conv2d(64, kernel: 11, stride: 4, padding: 2))
        b.add("features.1", Activation.relu(inplace: true))
        b.add("features.2", MaxPool2d(kernel: 3, stride: 2))
        b.add("features.3", Conv2d(192, kernel: 5, padding: 2))
        b.add("features.4", Activation.relu(inplace: true))
        b.add("features.5", MaxPool2d(kernel: 3, stride: 2))
        b.add("features.6", Conv2d(384, kernel: 3, padding: 1))
        b.add("features.7", Activation.relu(inplace: true))
        b.add("features.8", Conv2d(256, kernel: 3, padding: 1))
        b.add("features.9", Activation.relu(inplace: true))
        b.add("features.10", Conv2d(256, kernel: 3, padding: 1))
        b.add("features.11", Activation.relu(inplace: true))
        b.add("features.12", MaxPool2d(kernel: 3, stride: 2))
        b.add("avgpool", AdaptiveAvgPool2d(6))
        b.add("flatten", Flatten())
        b.add("classifier.0", Dropout(0.5))
        b.add("classifier.1", Linear(4096))
        b.add("classifier.2", Activation.relu(inplace: true))
        b.add("classifier.3", Dropout(0.5))
        b.add("classifier.4", Linear(4096))
        b.add("classifier.5", Activation.relu(inplace: true))
        b.add("classifier.6", Linear(classes), role: .head)
        return b.graph(name: "alexnet", family: .cnn, notes: ["torchvision alexnet"])
    }
}

/// torchvision VGG (Simonyan & Zisserman 2015, configurations A, B, D, E; torchvision `models/vgg.py`).
enum VGG {
    /// Output channels per convolution; 0 is a 2×2 max-pool.
    static func configuration(depth: Int) -> [Int] {
        switch depth {
        case 11: [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0]
        case 13: [64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0]
        case 16: [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0]
        default: [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0]
        }
    }

    static func build(depth: Int, batchNorm: Bool, classes: Int = 1000) -> LayerGraph {
        var b = GraphBuilder()
        var index = 0
        for channels in configuration(depth: depth) {
            if channels == 0 {
                b.add("features.\(index)", MaxPool2d(kernel: 2, stride: 2))
                index += 1
                continue
            }
            b.add("features.\(index)", Conv2d(channels, kernel: 3, padding: 1))
            index += 1
            if batchNorm {
                b.add("features.\(index)", BatchNorm2d())
                index += 1
            }
            b.add("features.\(index)", Activation.relu(inplace: true))
            index += 1
        }
        b.add("avgpool", AdaptiveAvgPool2d(7))
        b.add("flatten", Flatten())
        b.add("classifier.0", Linear(4096))
        b.add("classifier.1", Activation.relu(inplace: true))
        b.add("classifier.2", Dropout(0.5))
        b.add("classifier.3", Linear(4096))
        b.add("classifier.4", Activation.relu(inplace: true))
        b.add("classifier.5", Dropout(0.5))
        b.add("classifier.6", Linear(classes), role: .head)
        let name = "vgg\(depth)" + (batchNorm ? "_bn" : "")
        return b.graph(name: name, family: .cnn, notes: ["torchvision \(name)"])
    }
}

/// torchvision SqueezeNet 1.0 (Iandola et al. 2016; torchvision `models/squeezenet.py`).
enum SqueezeNet {
    static func build(classes: Int = 1000) -> LayerGraph {
        var b = GraphBuilder()
        b.add("features.0", Conv2d(96, kernel: 7, stride: 2))
        b.add("features.1", Activation.relu(inplace: true))
        b.add("features.2", MaxPool2d(kernel: 3, stride: 2, ceilMode: true))
        let plan: [(index: Int, squeeze: Int, expand: Int)] = [
            (3, 16, 64), (4, 16, 64), (5, 32, 128), (7, 32, 128), (8, 48, 192), (9, 48, 192), (10, 64, 256), (12, 64, 256),
        ]
        for fire in plan {
            if fire.index == 7 || fire.index == 12 {
                b.add("features.\(fire.index - 1)", MaxPool2d(kernel: 3, stride: 2, ceilMode: true))
            }
            let p = "features.\(fire.index)"
            b.block = p
            b.add("\(p).squeeze", Conv2d(fire.squeeze, kernel: 1))
            let squeezed = b.add("\(p).squeeze_activation", Activation.relu(inplace: true))
            b.add("\(p).expand1x1", Conv2d(fire.expand, kernel: 1))
            let left = b.add("\(p).expand1x1_activation", Activation.relu(inplace: true))
            b.add("\(p).expand3x3", Conv2d(fire.expand, kernel: 3, padding: 1), inputs: [squeezed])
            let right = b.add("\(p).expand3x3_activation", Activation.relu(inplace: true))
            b.add("\(p).cat", Concat(), inputs: [left, right])
            b.block = nil
        }
        b.add("classifier.0", Dropout(0.5))
        b.add("classifier.1", Conv2d(classes, kernel: 1), role: .head)
        b.add("classifier.2", Activation.relu(inplace: true))
        b.add("classifier.3", AdaptiveAvgPool2d(1))
        b.add("flatten", Flatten())
        return b.graph(name: "squeezenet1_0", family: .cnn, notes: ["torchvision squeezenet1_0"])
    }
}
