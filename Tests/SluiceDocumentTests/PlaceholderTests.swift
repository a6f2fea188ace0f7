import Testing
@testable import SluiceDocument
