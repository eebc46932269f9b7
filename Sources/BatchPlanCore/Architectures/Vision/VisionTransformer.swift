/// torchvision Vision Transformers with 16×16 patches (Dosovitskiy et al. 2021; torchvision
/// `models/vision_transformer.py`).
///
/// Attention is `nn.MultiheadAttention` called with `need_weights=False`, which runs `scaled_dot_product_attention`;
/// `eager` models the `need_weights=True` path that materializes the probabilities. Dropouts are 0 in torchvision's
/// defaults and save nothing.
enum VisionTransformer {
    struct Size: Sendable {
        var hidden: Int
        var layers: Int
        var heads: Int
        var mlp: Int
        static let base = Size(hidden: 768, layers: 12, heads: 12, mlp: 3072)
        static let large = Size(hidden: 1024, layers: 24, heads: 16, mlp: 4096)
    }

    static let patch = 16

    static func build(
        name: String, size: Size, input: InputSize, attention: AttentionImplementation, classes: Int = 1000
    ) throws(CoreError) -> LayerGraph {
        guard case let .image(_, height, width) = input, height == width, height % patch == 0 else {
            throw .invalidValue(
                what: "input", value: input.description,
                fix: "\(name) takes square images whose side is a multiple of \(patch), e.g. 3x224x224 or 3x384x384")
        }
        let e = size.hidden
        var b = GraphBuilder()
        b.add("conv_proj", Conv2d(e, kernel: patch, stride: patch), role: .embedding)
        b.add("patch_tokens", PatchTokens(), role: .embedding)
        b.add("class_token", ClassToken(), role: .embedding)
        b.add("encoder.pos_embedding", PositionEmbedding(), role: .embedding)
        for index in 0..<size.layers {
            let p = "encoder.layers.encoder_layer_\(index)"
            b.block = p
            let input = b.last
            b.add("\(p).ln_1", LayerNorm())
            // The batch-first input reaches in_proj transposed, so matmul saves a copy; the packed q, k, v it
            // produces are what the attention kernel keeps.
            b.add("\(p).self_attention.in_proj", Linear(3 * e, copiesInput: true, savesOutput: true))
            b.add("\(p).self_attention", AttentionCore(heads: size.heads, implementation: attention), role: .attentionCore)
            b.add("\(p).self_attention.out_proj", Linear(e))
            let attended = b.add("\(p).add", Add(), inputs: [b.last, input])
            b.add("\(p).ln_2", LayerNorm())
            b.add("\(p).mlp.0", Linear(size.mlp))
            b.add("\(p).mlp.1", Activation(.gelu))
            b.add("\(p).mlp.3", Linear(e))
            b.add("\(p).add#2", Add(), inputs: [attended, b.last])
        }
        b.block = nil
        b.add("encoder.ln", LayerNorm())
        b.add("class_token_select", TokenSelect(index: 0))
        b.add("heads.head", Linear(classes), role: .head)
        return b.graph(
            name: name, family: .encoder,
            notes: ["torchvision \(name) at \(height)×\(width): \((height / patch) * (width / patch) + 1) tokens, attention \(attention.rawValue)"])
    }
}
