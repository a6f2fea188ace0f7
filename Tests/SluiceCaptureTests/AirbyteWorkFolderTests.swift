import Foundation
import SluiceCapture
import SluiceTestSupport
import Testing

/// A capture's connector files live under the data directory; a killed run's folder is removed
/// by the next run of the same task, never another task's.
@Suite struct AirbyteWorkFolderTests {
    @Test func staleFoldersOfTheTaskAreRemovedOthersKept() throws {
        let directory = TestDirectory("airbyte-folders")
        defer { directory.remove() }
        let parent = directory.file("tmp/airbyte")
        let mine = AirbyteWorkFolder.prefix(task: "acme/faker")
        let other = AirbyteWorkFolder.prefix(task: "acme_faker")
        #expect(mine.hasPrefix("acme_faker-") && other.hasPrefix("acme_faker-") && mine != other)
        let killed = try AirbyteWorkFolder(parent: parent, prefix: mine)
        try killed.write("config.json", text: #"{"secret":"x"}"#)
        let neighbour = try AirbyteWorkFolder(parent: parent, prefix: other)
        let attributes = try FileManager.default.attributesOfItem(atPath: killed.path + "/config.json")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        AirbyteWorkFolder.removeStale(parent: parent, prefix: mine)
        #expect(!FileManager.default.fileExists(atPath: killed.path))
        #expect(FileManager.default.fileExists(atPath: neighbour.path))
        neighbour.remove()
        #expect(!FileManager.default.fileExists(atPath: neighbour.path))
    }
}
