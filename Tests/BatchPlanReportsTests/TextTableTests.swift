import Testing

@testable import BatchPlanReports

@Suite("Terminal text tables")
struct TextTableTests {
    @Test("Columns align, numbers sit to the right and text to the left")
    func alignment() {
        var table = TextTable(headers: ["GPU", "Memory", "Max batch"])
        table.append(["A100 80GB SXM", "80.0 GiB", "646"])
        table.append(["RTX 3060 12GB", "12.0 GiB", "7"])
        #expect(
            table.render() == """
                GPU              Memory  Max batch
                -------------  --------  ---------
                A100 80GB SXM  80.0 GiB        646
                RTX 3060 12GB  12.0 GiB          7

                """)
    }

    @Test("Explicit alignment wins over detection, and short rows are padded")
    func explicitAlignment() {
        var table = TextTable(columns: [.init("id", alignment: .left), .init("name", alignment: .right)])
        table.append(["1"])
        table.append(["22", "ab"])
        #expect(table.render() == "id  name\n--  ----\n1\n22    ab\n")
    }

    @Test(
        "Numeric detection accepts signs and short units but not words",
        arguments: [
            ("256", true), ("11.2 GiB", true), ("-3.1 %", true), ("–", true), ("×4", true), ("bf16-amp", false),
            ("A100", false), ("3 accumulation steps", false),
        ])
    func numericDetection(cell: String, numeric: Bool) {
        #expect(TextTable.looksNumeric(cell) == numeric)
    }
}
