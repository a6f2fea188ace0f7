import Testing
@testable import SluiceJournal
