extension ModelAccounting {
    /// The accounting in the compact binary form the catalog caches it in (`CompactWriter`).
    ///
    /// Texts (layer names, types, blocks, roles, notes) and output shapes are written once each in a table and
    /// referred to by index, so a block's name, a layer type or a shape repeated over hundreds of layers is read
    /// (and allocated) once.
    public func compactEncoded() -> [UInt8] {
        var writer = CompactWriter()
        var texts: [String] = []
        var indexOfText: [String: Int] = [:]
        func index(_ text: String) -> Int {
            if let known = indexOfText[text] { return known }
            indexOfText[text] = texts.count
            texts.append(text)
            return texts.count - 1
        }
        var shapes: [[Int]] = []
        var indexOfShape: [[Int]: Int] = [:]
        func index(shape: [Int]) -> Int {
            if let known = indexOfShape[shape] { return known }
            indexOfShape[shape] = shapes.count
            shapes.append(shape)
            return shapes.count - 1
        }
        var body = CompactWriter()
        body.int(Self.compactFormat)
        body.int(index(name))
        body.int(index(family.rawValue))
        switch input {
        case let .image(channels, height, width):
            body.int(0)
            body.int(channels)
            body.int(height)
            body.int(width)
        case let .sequence(length):
            body.int(1)
            body.int(length)
        case let .tensor(dims):
            body.int(2)
            body.int(dims.count)
            for dim in dims { body.int(dim) }
        }
        body.int(index(task.rawValue))
        body.int(index(attention.rawValue))
        body.int(outputClasses)
        body.optionalInt(maxPositions)
        body.int(inputBytesPerSample)
        body.int(notes.count)
        for note in notes { body.int(index(note)) }
        body.int(layers.count)
        for layer in layers {
            body.int(index(layer.name))
            body.int(index(layer.type))
            body.int(layer.parameters)
            body.int(index(shape: layer.outputShape))
            body.int(layer.saved.activation)
            body.int(layer.saved.fp32)
            body.int(layer.saved.int64)
            body.int(layer.saved.bool)
            body.int(layer.flops)
            body.int(layer.block.map(index) ?? -1)
            body.int(index(layer.role.rawValue))
            body.optionalInt(layer.linearShape?.inFeatures)
            if let shape = layer.linearShape { body.int(shape.outFeatures) }
        }
        writer.int(texts.count)
        for text in texts { writer.string(text) }
        writer.int(shapes.count)
        for shape in shapes {
            writer.int(shape.count)
            for dim in shape { writer.int(dim) }
        }
        return writer.bytes + body.bytes
    }

    /// Reads what `compactEncoded()` wrote; `nil` for bytes of another format or damaged ones.
    public init?(compact bytes: [UInt8]) {
        guard let decoded = bytes.withUnsafeBufferPointer({ buffer -> ModelAccounting? in
            var reader = CompactReader(buffer)
            return Self.read(&reader)
        }) else { return nil }
        self = decoded
    }

    /// Bumped whenever the layout above changes (cached values are also keyed by the code's fingerprint).
    static let compactFormat = 2

    private static func read(_ reader: inout CompactReader) -> ModelAccounting? {
        var decoder = CompactAccountingReader(reader: reader)
        return decoder.accounting()
    }
}

/// Reads the layout `compactEncoded()` writes: a text table, then the fields in order.
private struct CompactAccountingReader {
    var reader: CompactReader
    var texts: [String] = []
    var shapes: [[Int]] = []
    /// Each text read as a layer role, worked out the first time an index is used as one.
    var roles: [LayerRole?] = []
    var rolesRead: [Bool] = []

    mutating func text() -> String? {
        guard let index = reader.int(), index >= 0, index < texts.count else { return nil }
        return texts[index]
    }

    mutating func count() -> Int? { reader.int(in: 0...(1 << 24)) }

    mutating func accounting() -> ModelAccounting? {
        guard let textCount = reader.int(in: 0...Int(Int32.max)) else { return nil }
        texts.reserveCapacity(min(textCount, reader.remaining))
        for _ in 0..<textCount {
            guard let text = reader.string() else { return nil }
            texts.append(text)
        }
        roles = Array(repeating: nil, count: texts.count)
        rolesRead = Array(repeating: false, count: texts.count)
        guard let shapeCount = count() else { return nil }
        shapes.reserveCapacity(min(shapeCount, reader.remaining))
        for _ in 0..<shapeCount {
            guard let shape = dimensions() else { return nil }
            shapes.append(shape)
        }
        guard reader.int() == ModelAccounting.compactFormat, let name = text(),
            let family = text().flatMap(ModelFamily.init(rawValue:)), let input = input(),
            let task = text().flatMap(TrainingTask.init(rawValue:)),
            let attention = text().flatMap(AttentionImplementation.init(rawValue:)),
            let outputClasses = reader.int(), let maxPositions = reader.optionalInt(),
            let inputBytesPerSample = reader.int(), let noteCount = count()
        else { return nil }
        var notes: [String] = []
        for _ in 0..<noteCount {
            guard let note = text() else { return nil }
            notes.append(note)
        }
        guard let layerCount = count() else { return nil }
        var layers: [LayerAccount] = []
        layers.reserveCapacity(min(layerCount, reader.remaining))
        for _ in 0..<layerCount {
            guard append(to: &layers) else { return nil }
        }
        guard reader.isAtEnd else { return nil }
        return ModelAccounting(
            name: name, family: family, input: input, task: task, attention: attention, layers: layers,
            outputClasses: outputClasses, maxPositions: maxPositions, inputBytesPerSample: inputBytesPerSample,
            notes: notes)
    }

    mutating func input() -> InputSize? {
        switch reader.int() {
        case 0?:
            guard let channels = reader.int(), let height = reader.int(), let width = reader.int() else { return nil }
            return .image(channels: channels, height: height, width: width)
        case 1?:
            return reader.int().map { .sequence(length: $0) }
        case 2?:
            return dimensions().map { .tensor($0) }
        default:
            return nil
        }
    }

    mutating func dimensions() -> [Int]? {
        guard let rank = count() else { return nil }
        var dims: [Int] = []
        dims.reserveCapacity(min(rank, reader.remaining))
        for _ in 0..<rank {
            guard let dim = reader.int() else { return nil }
            dims.append(dim)
        }
        return dims
    }

    mutating func role() -> LayerRole? {
        guard let index = reader.int(), index >= 0, index < texts.count else { return nil }
        if !rolesRead[index] {
            roles[index] = LayerRole(rawValue: texts[index])
            rolesRead[index] = true
        }
        return roles[index]
    }

    /// Reads one layer into `layers`; false when the bytes do not hold one.
    mutating func append(to layers: inout [LayerAccount]) -> Bool {
        guard let name = text(), let type = text(), let parameters = reader.int(), let shapeIndex = reader.int(),
            shapeIndex >= 0, shapeIndex < shapes.count, let activation = reader.int(), let fp32 = reader.int(),
            let int64 = reader.int(), let bool = reader.int(), let flops = reader.int(), let blockIndex = reader.int(),
            blockIndex >= -1, blockIndex < texts.count, let role = role(), let inFeatures = reader.optionalInt()
        else { return false }
        var linearShape: LayerAccount.LinearShape?
        if let inFeatures {
            guard let outFeatures = reader.int() else { return false }
            linearShape = LayerAccount.LinearShape(inFeatures: inFeatures, outFeatures: outFeatures)
        }
        layers.append(
            LayerAccount(
                name: name, type: type, parameters: parameters, outputShape: shapes[shapeIndex],
                saved: SavedTensors(activation: activation, fp32: fp32, int64: int64, bool: bool), flops: flops,
                block: blockIndex < 0 ? nil : texts[blockIndex], role: role, linearShape: linearShape))
        return true
    }
}
