// SluiceDocument: JSON documents. See docs/document.md.
