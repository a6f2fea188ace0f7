public import SluiceWorkload

public enum WorkloadBenchmarks {
    /// `workload.generate`: how fast the generator produces the workload's bytes. It bounds
    /// every benchmark that generates its input on the fly.
    public static func generate(_ spec: WorkloadSpec) -> BenchmarkResult {
        var generator = WorkloadGenerator(spec)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var bytes = 0
        let stopwatch = Stopwatch()
        while !generator.isExhausted {
            buffer.removeAll(keepingCapacity: true)
            generator.appendLines(2048, to: &buffer)
            bytes += buffer.count
        }
        return BenchmarkResult(figure: "workload.generate", documents: spec.documents, bytes: bytes,
                               seconds: stopwatch.elapsedSeconds)
    }
}
