import Testing
@testable import SluiceSchema
