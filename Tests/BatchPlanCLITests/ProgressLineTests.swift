import Foundation
import Testing

@Suite("batchplan progress line, end to end")
struct ProgressLineTests {
    @Test("piped stderr never gets a progress line, however soon it is due")
    func noProgressWhenPiped() throws {
        let result = try CLIRunner().run(
            ["fit", "--memory", "12GB", "--model", "resnet18"], environment: ["BATCHPLAN_PROGRESS_AFTER": "0"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("\r"), "no carriage-return redraws: \(result.stderr)")
        #expect(!result.stderr.contains("calibrating") && !result.stderr.contains("planning"))
    }

    @Test("on a terminal, work past the delay shows a progress line on stderr and erases it")
    func progressOnTerminal() throws {
        // script(1) gives the command a pseudo-terminal; skip where it is missing.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let runner = CLIRunner()
        let command = "\(CLIRunner.binary.path) fit --memory 12GB --db \(runner.catalog) >/dev/null"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, "/dev/null"]
        var environment = ProcessInfo.processInfo.environment
        environment["TERM"] = "xterm"
        environment["BATCHPLAN_PROGRESS_AFTER"] = "0"
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(text)")
        // A fresh catalog's first fit calibrates from every built-in run and plans every model; with no delay the
        // line shows for both.
        #expect(text.contains("calibrating from the catalog's runs…"), "\(text)")
        #expect(text.contains("planning ") && text.contains(" models × 1 card…"), "\(text)")
        #expect(text.contains("\r\u{1B}[K"), "the line is erased when the work ends")
    }
}
