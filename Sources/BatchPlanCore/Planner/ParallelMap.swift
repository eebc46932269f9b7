import Dispatch
import Foundation

/// Maps `0..<count` on every core, results in index order: the same values, in the same order, as a serial loop.
///
/// `body` must not share mutable state between indices (each fit of a model is independent). `concurrency: 1`
/// runs serially on the calling thread, which tests use to check that both give identical results. Visible to the
/// package's other modules (the catalog's refit uses it too), not to users of the library.
package enum ParallelMap {
    /// Cores to use by default: every active processor.
    package static var defaultConcurrency: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// - Parameter order: the order indices are handed out in (a permutation of `0..<count`; default ascending), so
    ///   the costliest can start first. Results are in index order whatever it is.
    package static func map<T: Sendable>(
        _ count: Int, concurrency: Int = defaultConcurrency, order: [Int]? = nil, _ body: @Sendable (Int) -> T
    ) -> [T] {
        guard count > 1, concurrency > 1 else { return (0..<count).map(body) }
        let slots = Slots<T>(count: count)
        // Indices are handed out one at a time (models differ a lot in cost: 19 to 877 layers), so a slow model does
        // not hold back a chunk of others.
        let next = Counter()
        DispatchQueue.concurrentPerform(iterations: min(concurrency, count)) { _ in
            while true {
                let position = next.take()
                guard position < count else { return }
                let index = order?[position] ?? position
                slots.store(body(index), at: index)
            }
        }
        return slots.values()
    }

    /// `map` where each worker keeps state of its own across the indices it takes, made by `state` once per worker
    /// (a predictor's caches: every index a worker takes then reuses what its earlier ones prepared). Results are in
    /// index order; `body` must give the same result for an index whatever state it meets, as the serial loop (one
    /// state for every index) does.
    package static func map<State, T: Sendable>(
        _ count: Int, concurrency: Int = defaultConcurrency, state: @Sendable () -> State,
        _ body: @Sendable (inout State, Int) -> T
    ) -> [T] {
        guard count > 1, concurrency > 1 else {
            var local = state()
            return (0..<count).map { body(&local, $0) }
        }
        let slots = Slots<T>(count: count)
        let next = Counter()
        DispatchQueue.concurrentPerform(iterations: min(concurrency, count)) { _ in
            var local = state()
            while true {
                let index = next.take()
                guard index < count else { return }
                slots.store(body(&local, index), at: index)
            }
        }
        return slots.values()
    }

    /// Results by index, written once each from worker threads.
    private final class Slots<T>: @unchecked Sendable {
        private var storage: [T?]
        private let lock = NSLock()

        init(count: Int) { storage = Array(repeating: nil, count: count) }

        func store(_ value: T, at index: Int) {
            lock.lock()
            storage[index] = value
            lock.unlock()
        }

        func values() -> [T] { storage.map { $0! } }
    }

    /// The next index to work on.
    private final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()

        func take() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value - 1
        }
    }
}
