import FoundationEssentials

/// The shape of a transformer that decides its KV cache and its compute: what a model's
/// `config.json` says. Requests give one directly (`architecture`) or name a row of the shipped
/// table (`model`); see docs/sizing.md.
package struct ModelArchitecture: Codable, Sendable, Equatable {
    package var layers: Int
    package var hiddenSize: Int
    package var attentionHeads: Int
    /// Key/value heads: equal to `attentionHeads` for multi-head attention, fewer for grouped-query.
    package var kvHeads: Int
    package var headDim: Int
    /// Weights held in GPU memory: every expert of a mixture-of-experts model.
    package var totalParametersBillion: Double
    /// Parameters one token passes through (the experts it is routed to): what compute scales with.
    package var activeParametersBillion: Double
    /// Multi-head latent attention caches one compressed vector per layer (K and V together, plus
    /// the decoupled RoPE key) instead of per-head keys and values; nil for ordinary attention.
    package var kvLatentDim: Int?

    enum CodingKeys: String, CodingKey {
        case layers
        case hiddenSize = "hidden_size"
        case attentionHeads = "attention_heads"
        case kvHeads = "kv_heads"
        case headDim = "head_dim"
        case totalParametersBillion = "total_parameters_billion"
        case activeParametersBillion = "active_parameters_billion"
        case kvLatentDim = "kv_latent_dim"
    }

    package init(
        layers: Int, hiddenSize: Int, attentionHeads: Int, kvHeads: Int, headDim: Int,
        totalParametersBillion: Double, activeParametersBillion: Double, kvLatentDim: Int? = nil
    ) {
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.attentionHeads = attentionHeads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.totalParametersBillion = totalParametersBillion
        self.activeParametersBillion = activeParametersBillion
        self.kvLatentDim = kvLatentDim
    }

    /// Bytes the KV cache holds per token of context: a key and a value vector per KV head per
    /// layer (2 × layers × kv_heads × head_dim × bytes), or one latent vector per layer for
    /// latent attention (layers × kv_latent_dim × bytes).
    package func kvBytesPerToken(bytesPerValue: Double) -> Double {
        if let latent = kvLatentDim { return Double(layers) * Double(latent) * bytesPerValue }
        return 2 * Double(layers) * Double(kvHeads) * Double(headDim) * bytesPerValue
    }
}

/// One row of `models.csv`: a published model's architecture and where it was read.
package struct KnownModel: Sendable, Equatable {
    package let id: String
    package let name: String
    package let architecture: ModelArchitecture
    package let experts: Int?
    package let expertsPerToken: Int?
    package let maxContextTokens: Int
    /// The model's public `config.json` or model card.
    package let source: String
}

package enum ModelTable {
    /// The shipped table, in file order. It is part of the binary and checked by
    /// `ModelArchitectureTests`, so a row that does not parse is a build defect, not an input error.
    package static let shipped: [KnownModel] = {
        do {
            return try parse(Data(Catalog.embedded["models.csv"] ?? []))
        } catch {
            preconditionFailure("models.csv: \(error)")
        }
    }()

    package static let ids: [String] = shipped.map(\.id)

    private static let byID = Dictionary(uniqueKeysWithValues: shipped.map { ($0.id, $0) })

    package static func model(_ id: String) -> KnownModel? { byID[id] }

    static func parse(_ data: Data) throws(Catalog.LoadError) -> [KnownModel] {
        let name = "models.csv"
        func int(_ row: [String: String], _ key: String) throws(Catalog.LoadError) -> Int {
            guard let text = row[key], let v = Int(text) else {
                throw .malformed(name, "\(key) is not a whole number in row \(row)")
            }
            return v
        }
        func optionalInt(_ row: [String: String], _ key: String) throws(Catalog.LoadError) -> Int? {
            guard let text = row[key], !text.isEmpty else { return nil }
            return try int(row, key)
        }
        var out: [KnownModel] = []
        for row in try Catalog.rows(data, name) {
            guard let id = row["id"], !id.isEmpty else { throw .malformed(name, "a row needs an id: \(row)") }
            let source = try Catalog.source(row, name)
            let architecture = ModelArchitecture(
                layers: try int(row, "layers"), hiddenSize: try int(row, "hidden_size"),
                attentionHeads: try int(row, "attention_heads"), kvHeads: try int(row, "kv_heads"),
                headDim: try int(row, "head_dim"),
                totalParametersBillion: try Catalog.number(row, "total_parameters_billion", name),
                activeParametersBillion: try Catalog.number(row, "active_parameters_billion", name),
                kvLatentDim: try optionalInt(row, "kv_latent_dim"))
            out.append(
                KnownModel(
                    id: id, name: row["name"] ?? id, architecture: architecture,
                    experts: try optionalInt(row, "experts"),
                    expertsPerToken: try optionalInt(row, "experts_per_token"),
                    maxContextTokens: try int(row, "max_context_tokens"), source: source))
        }
        return out
    }
}
