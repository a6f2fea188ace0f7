// SluiceCombine: placeholder, filled in below.
