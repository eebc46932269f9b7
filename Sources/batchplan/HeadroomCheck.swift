import BatchPlanCore

extension Headroom {
    /// Throws a usage error when this headroom keeps a card's whole memory free or more: `--headroom 20GB` on a
    /// 12 GiB card leaves nothing to plan with, which is a mistyped flag, not a plan that does not fit.
    ///
    /// A share (`15%`) is always below the whole card; only a size can reach it.
    func check(against cards: [GPU], flag text: String?) throws {
        for card in cards where bytes(ofCard: card.memoryBytes) >= card.memoryBytes {
            throw Usage.error(
                "--headroom \(text ?? description) is not smaller than \(card.name)'s \(ByteSize.format(card.memoryBytes)) of "
                    + "memory, so nothing is left to plan with; keep less free, e.g. --headroom 10% or --headroom 1.5GiB")
        }
    }
}
