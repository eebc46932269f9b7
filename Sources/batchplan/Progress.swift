import Dispatch
import Foundation

/// A progress line on stderr for work that takes over a second: "planning 540 models × 1 card… 2.4 s", redrawn in
/// place and erased when the work ends, so nothing of it stays in the terminal or reaches a log.
///
/// Only when stderr is a terminal (and `TERM` is not `dumb`): piped or redirected output never sees it, so scripts
/// and tests read exactly what they did before.
enum Progress {
    /// Seconds of work before the line appears: 1, or `BATCHPLAN_PROGRESS_AFTER` (seconds, e.g. 0 to see it at
    /// once).
    static let delay: Double = {
        guard let text = ProcessInfo.processInfo.environment["BATCHPLAN_PROGRESS_AFTER"], let seconds = Double(text),
            seconds >= 0, seconds.isFinite
        else { return 1 }
        return seconds
    }()

    /// Runs `body`, showing `label` with the elapsed time once it has run for `delay` seconds.
    static func during<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
        guard showsProgress else { return try body() }
        let line = Line(label: label)
        line.start()
        defer { line.finish() }
        return try body()
    }

    static var showsProgress: Bool {
        isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    /// The line and its timer; everything it draws is drawn on its own serial queue.
    private final class Line: @unchecked Sendable {
        let label: String
        let queue = DispatchQueue(label: "batchplan.progress")
        let started = DispatchTime.now()
        var timer: DispatchSourceTimer?
        var shown = false

        init(label: String) { self.label = label }

        func start() {
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + Progress.delay, repeating: 0.25)
            timer.setEventHandler { [self] in
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
                FileHandle.standardError.write(Data("\r\u{1B}[K\(label)… \(String(format: "%.1f", seconds)) s".utf8))
                shown = true
            }
            self.timer = timer
            timer.resume()
        }

        func finish() {
            queue.sync {
                timer?.cancel()
                if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            }
        }
    }
}
