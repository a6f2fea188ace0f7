// The catalog loader: any bytes as a YAML catalog must load or fail with diagnostics, never
// crash, and every diagnostic must point inside the input.
import FuzzDriver
import SluiceCatalog

@main
enum FuzzCatalog {
    static func main() {
        FuzzDriver.run { data, size in
            guard let data else { return 0 }
            let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
            do {
                _ = try CatalogLoader.load(yaml: text, path: "/nonexistent-fuzz/flow.yaml", environment: ["TOKEN": "t"])
            } catch {
                // An upper bound of YAML's lines: it breaks lines at \n, \r, NEL, LS and PS.
                let lines = text.unicodeScalars.filter { "\n\r\u{85}\u{2028}\u{2029}".unicodeScalars.contains($0) }.count + 1
                for diagnostic in (error as? CatalogError)?.diagnostics ?? [] {
                    if let location = diagnostic.location, location.file.hasSuffix("flow.yaml") {
                        precondition(location.line >= 0 && location.line <= lines + 1, "diagnostic line \(location.line) outside the input")
                    }
                }
            }
            return 0
        }
    }
}
