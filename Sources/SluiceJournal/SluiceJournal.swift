// SluiceJournal: journals, fragments, the spool, the fragment index, codecs and stores.
// See docs/journal.md.
