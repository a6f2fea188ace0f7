import Foundation
import Testing
@testable import SluiceJournal

@Suite struct CodecTests {
    static func text(bytes: Int, seed: UInt64) -> [UInt8] {
        var random = SluiceWorkloadRandom(seed: seed)
        var text: [UInt8] = []
        while text.count < bytes { text += Array("{\"key\":\(random.next() % 1000),\"note\":\"some words\"}\n".utf8) }
        return Array(text.prefix(bytes))
    }

    /// Writes `content` as frames of `codec` to a file and decodes it back frame by frame.
    static func roundTrip(_ content: [UInt8], codec: FragmentCodec, in folder: String) throws -> (frames: [[UInt8]], path: String) {
        let encoder = FrameEncoder(codec: codec)
        var encoded: [UInt8] = []
        var offset = 0
        while offset < content.count {
            let end = min(offset + Codec.frameContentBytesMax, content.count)
            try content[offset..<end].withUnsafeBytes { try encoder.encode($0, into: &encoded) }
            offset = end
        }
        let path = folder + "/fragment." + FragmentEncoding(codec).rawValue
        try Data(encoded).write(to: URL(fileURLWithPath: path))
        guard codec != .none else { return ([content], path) }
        let decoder = try FrameDecoder(encoding: FragmentEncoding(codec),
                                       file: PosixFileSystem().openFile(atPath: path, mode: .readOnly))
        var frames: [[UInt8]] = []
        while let frame = try decoder.nextFrame({ Array($0) }) { frames.append(frame) }
        return (frames, path)
    }

    @Test(arguments: [FragmentCodec.lz4, .zstd(level: 1), .zstd(level: 19)])
    func framesRoundTripAndHoldAtMostOneMebibyte(_ codec: FragmentCodec) throws {
        let temporary = TemporaryDirectory("codec")
        defer { temporary.remove() }
        let content = Self.text(bytes: 2 * Codec.frameContentBytesMax + 12_345, seed: 3)
        let (frames, _) = try Self.roundTrip(content, codec: codec, in: temporary.path)
        #expect(frames.map(\.count) == [Codec.frameContentBytesMax, Codec.frameContentBytesMax, 12_345])
        #expect(frames.flatMap { $0 } == content)
    }

    /// The command-line tools read our frames as one stream (the point of the format).
    @Test(arguments: [(FragmentCodec.lz4, ["lz4", "-d", "-c", "-q"]), (.zstd(level: 3), ["zstd", "-d", "-c", "-q"])])
    func commandLineToolsReadTheFrames(_ codec: FragmentCodec, _ command: [String]) throws {
        let temporary = TemporaryDirectory("codec-cli")
        defer { temporary.remove() }
        let content = Self.text(bytes: Codec.frameContentBytesMax + 777, seed: 4)
        let (_, path) = try Self.roundTrip(content, codec: codec, in: temporary.path)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command + [path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let decoded = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(Array(decoded) == content)
    }

    /// A fragment compressed by another tool (one large frame) still reads.
    @Test func aLargeForeignFrameDecodes() throws {
        let temporary = TemporaryDirectory("codec-foreign")
        defer { temporary.remove() }
        let content = Self.text(bytes: 3 * Codec.frameContentBytesMax, seed: 5)
        let plain = temporary.path + "/plain"
        try Data(content).write(to: URL(fileURLWithPath: plain))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["zstd", "-q", "-f", plain, "-o", plain + ".zst"]
        try process.run()
        process.waitUntilExit()
        let decoder = try FrameDecoder(encoding: .zst, file: PosixFileSystem().openFile(atPath: plain + ".zst", mode: .readOnly))
        let frame = try #require(try decoder.nextFrame { Array($0) })
        #expect(frame == content)
        #expect(try decoder.nextFrame { $0.count } == nil)
    }
}
