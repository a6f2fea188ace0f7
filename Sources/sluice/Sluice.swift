import SluiceCLI

/// The `sluice` executable: everything lives in SluiceCLI.
@main
enum SluiceMain {
    static func main() async {
        await SluiceCommand.mainWithSluiceExitCodes()
    }
}
