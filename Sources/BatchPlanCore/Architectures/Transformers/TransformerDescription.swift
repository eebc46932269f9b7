/// A transformer normalized from a Hugging Face `config.json`: the sizes and choices that decide its parameters and
/// what autograd keeps, independent of how each `model_type` spells them.
struct TransformerDescription: Hashable, Sendable {
    /// How the model's modules are laid out and named in transformers; one per family of `model_type`s that share
    /// a module tree.
    enum Layout: String, Hashable, Sendable {
        /// `model.layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj, post_attention_layernorm, mlp.*}`:
        /// llama, mistral, mixtral, qwen2, gemma, gemma2, phi3, stablelm.
        case llama
        /// `model.layers.N.{input_layernorm, self_attn.{q,k,v}_proj, self_attn.dense, mlp.fc1/fc2}`, parallel.
        case phi
        /// `transformer.h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}` (Conv1D modules).
        case gpt2
        /// `gpt_neox.layers.N.{input_layernorm, post_attention_layernorm, attention.query_key_value, attention.dense, mlp.*}`.
        case gptNeoX
        /// `transformer.h.N.{input_layernorm | ln_attn, ln_mlp, self_attention.query_key_value, self_attention.dense, mlp.*}`.
        case falcon
        /// `transformer.h.N.{input_layernorm, self_attention.query_key_value, self_attention.dense, post_attention_layernorm, mlp.*}`.
        case bloom
        /// `model.decoder.layers.N.{self_attn.{q,k,v,out}_proj, self_attn_layer_norm, fc1, fc2, final_layer_norm}`.
        case opt
        /// `bert.encoder.layer.N.{attention.self.{query,key,value}, attention.output.dense, intermediate.dense, output.dense}`
        /// (also roberta under `roberta.`).
        case bert
        /// `distilbert.transformer.layer.N.{attention.{q,k,v,out}_lin, sa_layer_norm, ffn.lin1/lin2, output_layer_norm}`.
        case distilbert
        /// `vit.layers.N.{layernorm_before, attention.{q,k,v,o}_proj, layernorm_after, mlp.fc1/fc2}`.
        case vit
        /// `encoder.block.N.layer.{0: SelfAttention, 1: DenseReluDense}` and the decoder's three sub-layers.
        case t5
    }

    /// Normalization layers.
    enum Norm: Hashable, Sendable {
        /// `nn.LayerNorm`: saves its input, mean and rstd (fp32).
        case layerNorm(bias: Bool)
        /// Transformers' Python RMSNorm: upcasts to fp32, saves the fp32 input, rsqrt and the normalized value.
        case rmsNorm
    }

    /// MLP activations, by what autograd keeps for them.
    enum Activation: String, Hashable, Sendable {
        /// `F.gelu` (erf) and `F.gelu(approximate="tanh")`: save their input.
        case gelu
        /// Transformers' `NewGELUActivation` (`gelu_new`), written in Python: keeps four tensors of the input's size.
        case geluNew
        /// SiLU / swish: saves its input.
        case silu
        /// ReLU: saves its output.
        case relu

        /// Tensors of the input's size the activation keeps for backward.
        var savedCopies: Int { self == .geluNew ? 4 : 1 }

        /// Reads transformers' `ACT2FN` names.
        init?(huggingFaceName name: String) {
            switch name {
            case "gelu", "gelu_pytorch_tanh", "gelu_python", "gelu_accurate", "gelu_fast": self = .gelu
            case "gelu_new": self = .geluNew
            case "silu", "swish": self = .silu
            case "relu": self = .relu
            default: return nil
            }
        }
    }

    var modelType: String
    var layout: Layout
    /// Model width (`hidden_size`, `n_embd`, `d_model`, `dim`).
    var hidden: Int
    /// Blocks in the (encoder) stack.
    var layers: Int
    /// Blocks in the decoder stack of an encoder–decoder model.
    var decoderLayers: Int = 0
    var heads: Int
    /// Key/value heads (grouped-query and multi-query attention); equals `heads` otherwise.
    var kvHeads: Int
    var headDim: Int
    /// MLP inner width (per expert for mixture-of-experts models).
    var intermediate: Int
    var vocab: Int
    /// Rows of the learned position table (`0` for rotary, ALiBi or relative positions).
    var positionRows: Int = 0
    /// Longest sequence the model accepts, if it has a limit.
    var maxPositions: Int?
    /// Rotary embedding on this fraction of each head (`nil` when positions are not rotary).
    var rotaryFraction: Double?
    /// BERT's `token_type_embeddings` rows (`type_vocab_size`).
    var typeVocab: Int = 0
    var norm: Norm
    var activation: Activation
    /// `act(gate) * up` MLPs (llama, gemma, t5 v1.1 `gated-gelu`).
    var gatedMLP: Bool = false
    /// Bias on the query/key/value projections.
    var qkvBias: Bool
    /// Bias on the attention output projection.
    var outputBias: Bool
    /// Bias on the MLP projections.
    var mlpBias: Bool
    var lmHeadBias: Bool = false
    /// Whether the LM head reuses the token embedding matrix.
    var tiedEmbeddings: Bool
    /// Mixture of experts: experts per layer (0 for dense MLPs) and experts each token is routed through.
    var experts: Int = 0
    var expertsPerToken: Int = 0
    /// Dropout probabilities in train mode.
    var hiddenDropout: Double = 0
    var attentionDropout: Double = 0
    var embeddingDropout: Double = 0
    var classifierDropout: Double = 0
    /// T5's relative-position buckets.
    var relativeBuckets: Int = 0
    /// Falcon's `new_decoder_architecture` (separate `ln_attn`/`ln_mlp`, grouped KV).
    var falconNewArchitecture: Bool = false
    /// Attention and MLP read the same normalized input and are added to the residual together.
    var parallelResidual: Bool = false
    /// OPT's `word_embed_proj_dim` when it differs from `hidden` (adds `project_in`/`project_out`).
    var embeddingProjection: Int?
    /// ViT image geometry.
    var imageSize: Int = 0
    var patchSize: Int = 0
    var channels: Int = 3
    /// Labels of the sequence/image classification head (transformers' default `num_labels` is 2).
    var labels: Int = 2
    /// Transformers has no SDPA path for this model: it always runs eager attention.
    var eagerOnly: Bool = false
    /// Gemma 2's logit soft-capping (a tanh over the logits that keeps an extra copy).
    var finalLogitSoftcap: Bool = false
    /// Gemma 2's attention-score soft-capping (eager only).
    var attentionSoftcap: Bool = false

    /// Query width: `heads × headDim`.
    var queryWidth: Int { heads * headDim }
    /// Key (and value) width: `kvHeads × headDim`.
    var kvWidth: Int { kvHeads * headDim }
    /// SDPA receives fewer key/value heads than query heads (`enable_gqa`); Falcon expands or broadcasts them itself.
    var usesGroupedQueryKernel: Bool { kvHeads != heads && layout != .falcon }
    /// Falcon's multi-query attention hands SDPA one key/value head and a mask without `enable_gqa`: no CUDA fused
    /// kernel takes that, so PyTorch runs the math path in every precision (measured on an H100, fp32 and bf16 AMP).
    var sdpaRunsMathPath: Bool { layout == .falcon && !falconNewArchitecture && kvHeads != heads }
    /// Rotary dimensions per head.
    var rotaryDim: Int { rotaryFraction.map { Int(Double(headDim) * $0) } ?? 0 }
}
