import BatchPlanCatalog
import BatchPlanCore
import Foundation

/// Model accountings as text tables, CSV and the documented JSON contract.
enum ModelFormatting {
    static func count(_ value: Int) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.groupingSeparator = ","
        formatter.usesGroupingSeparator = true
        return formatter.string(from: NSNumber(value: value)) ?? String(value)
    }

    static func inputJSON(_ input: InputSize) -> [String: Any] {
        switch input {
        case let .image(c, h, w): ["kind": "image", "shape": [c, h, w]]
        case let .sequence(length): ["kind": "sequence", "length": length]
        case let .tensor(dims): ["kind": "tensor", "shape": dims]
        }
    }

    static func json(_ model: ModelAccounting, includeLayers: Bool) -> [String: Any] {
        var object: [String: Any] = [
            "name": model.name, "family": model.family.rawValue, "parameters": model.parameters,
            "trainable_parameters": model.parameters, "input": inputJSON(model.input), "task": model.task.rawValue,
            "attention": model.attention.rawValue, "activation_bytes_per_sample": model.activationBytesPerSample,
            "flops_per_sample": model.flopsPerSample, "output_classes": model.outputClasses, "notes": model.notes,
        ]
        if includeLayers {
            object["layers"] = model.layers.map { layer -> [String: Any] in
                ["name": layer.name, "type": layer.type, "parameters": layer.parameters, "output_shape": layer.outputShape,
                 "saved_bytes_per_sample": layer.savedBytesPerSample, "flops_per_sample": layer.flops,
                 "block": layer.block ?? NSNull(), "role": layer.role.rawValue]
            }
        }
        return object
    }

    static func layersCSV(_ model: ModelAccounting) -> String {
        let header = "name,type,parameters,output_shape,activation_values,saved_bytes_per_sample,flops_per_sample"
        return ([header] + model.layers.map { layer in
            [layer.name, layer.type, String(layer.parameters), layer.outputShape.map(String.init).joined(separator: "x"),
             String(layer.outputElements), String(layer.savedBytesPerSample), String(layer.flops)]
                .map(CSV.escape).joined(separator: ",")
        }).joined(separator: "\n")
    }

    static func table(_ model: ModelAccounting, layers: Bool) -> String {
        var lines: [String] = []
        if layers {
            var table = TextTable(
                headers: ["LAYER", "TYPE", "OUTPUT", "PARAMETERS", "ACTIVATIONS", "SAVED/SAMPLE"], rightAligned: [3, 4, 5])
            table.rows = model.layers.map { layer in
                [layer.name, layer.type, layer.outputShape.map(String.init).joined(separator: "×"), count(layer.parameters),
                 count(layer.outputElements), ByteSize.format(layer.savedBytesPerSample)]
            }
            table.rows.append(["total", "", "", count(model.parameters),
                               count(model.layers.reduce(0) { $0 + $1.outputElements }),
                               ByteSize.format(model.activationBytesPerSample)])
            lines.append(table.render())
            lines.append("")
        }
        lines += [
            "model                 \(model.name) (\(model.family.rawValue))",
            "input                 \(model.input)",
            "task                  \(model.task.rawValue)" + (model.family == .cnn ? "" : ", attention \(model.attention.rawValue)"),
            "parameters            \(count(model.parameters)) (\(ByteSize.format(model.parameters * 4)) at fp32)",
            "saved for backward    \(ByteSize.format(model.activationBytesPerSample)) per sample at fp32 (\(count(model.activationBytesPerSample)) bytes)",
            "forward FLOPs         \(flops(model.flopsPerSample)) per sample",
        ]
        lines += model.notes.map { "note                  \($0)" }
        return lines.joined(separator: "\n")
    }

    /// A FLOP count for people, in the SI unit that keeps about three significant digits: "412 MFLOP",
    /// "8.18 GFLOP", "1.11 TFLOP".
    static func flops(_ count: Int) -> String {
        let value = Double(count)
        // A count that rounds to 1.00 of a unit takes it: 999.6 GFLOP reads "1.00 TFLOP", not "1000 GFLOP".
        for (unit, size) in [("PFLOP", 1e15), ("TFLOP", 1e12), ("GFLOP", 1e9), ("MFLOP", 1e6), ("kFLOP", 1e3)]
        where value >= size * 0.9995 {
            return ThroughputText.significant(value / size) + " " + unit
        }
        return "\(count) FLOP"
    }
}
