import Foundation

/// String labels of the observations (run, source, model) as dense ids.
///
/// Only which observations share an id matters (the gate numbers its groups in its own order), not the ids' values.
/// A label is found by a 64-bit hash of its bytes (`hash`), checked against the label kept for the id (the standard
/// dictionary of strings took 0.13 s for the 100,000 run labels of a refit, 100 bytes each: two SipHash passes per
/// new label); labels whose hash is taken by another go to an exact dictionary.
struct Labels: Sendable {
    /// Each observation's id; -1 where it has no label.
    private(set) var ids: [Int] = []
    /// The label of each id.
    private(set) var names: [String] = []
    private var idOfHash: [UInt64: Int] = [:]
    /// Labels whose hash another label has.
    private var collided: [String: Int] = [:]
    /// The last label numbered: neighbours often share one (the counters of a run, the runs of a source).
    private var last: (label: String, id: Int)?

    private let hash: @Sendable (Substring) -> UInt64

    /// - Parameter hash: how labels are hashed (tests pass one that collides).
    init(capacity: Int = 0, hash: @escaping @Sendable (Substring) -> UInt64 = Labels.hash) {
        self.hash = hash
        idOfHash.reserveCapacity(capacity)
    }

    /// The id of `label`, numbering it when new.
    mutating func id(_ label: String?) -> Int {
        guard let label else { return -1 }
        if let last, last.label == label { return last.id }
        return number(label[...])
    }

    /// The id of a label given as part of a string: made a string only when it is new.
    mutating func id(_ label: Substring) -> Int {
        if let last, last.label == label { return last.id }
        return number(label)
    }

    /// Gives the next observation `id`.
    mutating func append(id: Int) { ids.append(id) }

    private mutating func number(_ label: Substring) -> Int {
        let hash = self.hash(label)
        let id: Int
        if let known = idOfHash[hash] {
            if names[known] == label {
                id = known
            } else if let other = collided[String(label)] {
                id = other
            } else {
                id = names.count
                names.append(String(label))
                collided[names[id]] = id
            }
        } else {
            id = names.count
            names.append(String(label))
            idOfHash[hash] = id
        }
        last = (names[id], id)
        return id
    }

    /// A 64-bit hash of `label`'s bytes, eight at a time (FNV-1a's step on words, each folded once), so that a run's
    /// 100-byte label costs a dozen steps.
    static func hash(_ label: Substring) -> UInt64 {
        let start: UInt64 = 0xcbf2_9ce4_8422_2325
        let prime: UInt64 = 0x100_0000_01b3
        let words = label.utf8.withContiguousStorageIfAvailable { bytes -> UInt64 in
            let raw = UnsafeRawBufferPointer(bytes)
            var hash = start
            var offset = 0
            while offset + 8 <= raw.count {
                hash = (hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* prime
                hash ^= hash >> 29
                offset += 8
            }
            for byte in raw[offset...] { hash = (hash ^ UInt64(byte)) &* prime }
            return hash
        }
        if let words { return words }
        var hash = start
        for byte in label.utf8 { hash = (hash ^ UInt64(byte)) &* prime }
        return hash
    }

    /// The distinct ids of the observations at `indices`, in order of first appearance; unlabelled ones count none.
    func distinct(in indices: [Int]) -> [Int] {
        var seen = [Bool](repeating: false, count: names.count)
        var result: [Int] = []
        for index in indices where ids[index] >= 0 && !seen[ids[index]] {
            seen[ids[index]] = true
            result.append(ids[index])
        }
        return result
    }
}

/// What the fit reads from its observations, in one pass that reads each in place: the solver's rows, the distinct
/// scope paths with their observations, and the labels it groups and counts them by.
///
/// Five passes that each handed every observation to a closure copied it (a dozen strings retained and released)
/// five times, and hashed every label: 0.16 s for 232,000 observations. A path is hashed only when it differs from
/// the last observation's (a run's counters share it), and its model and checkpointing are numbered once per path.
struct FitInput: Sendable {
    var rows: [SolverRow] = []
    var runtimes: [SolverRuntime] = []
    /// The distinct paths, in order of first appearance, and the observations of each, in order.
    var paths: [CalibrationScopePath] = []
    var pathMembers: [[Int]] = []
    /// The run each observation comes from (`CalibrationObservation.runGroup`).
    var runs: Labels
    /// The observation's model, or its run where it names none: what a family's gate holds out together.
    var modelsOrRuns = Labels()
    var sources = Labels()
    /// The model, where the path names one.
    var models = Labels()
    var checkpointing = Labels()

    init(_ observations: [CalibrationObservation]) {
        runs = Labels(capacity: observations.count)
        var numbering = SolverRuntimes()
        var pathNumbers: [CalibrationScopePath: Int] = [:]
        // Per path number: its model's and checkpointing's ids, and its model's id among models-or-runs.
        var pathLabels: [(model: Int, checkpointing: Int, modelOrRun: Int?)] = []
        rows.reserveCapacity(observations.count)
        observations.withUnsafeBufferPointer { all in
            var last = -1
            for i in all.indices {
                rows.append(SolverRow(all[i].decomposition, all[i].evidence, runtimes: &numbering))
                if last < 0 || all[i].path != paths[last] {
                    last =
                        pathNumbers[all[i].path] ?? {
                            let path = all[i].path
                            pathNumbers[path] = paths.count
                            paths.append(path)
                            pathMembers.append([])
                            pathLabels.append(
                                (models.id(path.model), checkpointing.id(path.checkpointing),
                                 path.model.map { modelsOrRuns.id($0) }))
                            return paths.count - 1
                        }()
                }
                pathMembers[last].append(i)
                let run = runs.id(all[i].runGroupOfID)
                runs.append(id: run)
                modelsOrRuns.append(id: pathLabels[last].modelOrRun ?? modelsOrRuns.id(all[i].runGroupOfID))
                sources.append(id: sources.id(all[i].source))
                models.append(id: pathLabels[last].model)
                checkpointing.append(id: pathLabels[last].checkpointing)
            }
        }
        runtimes = numbering.all
    }
}
