package fullnat

//go:generate go tool stringer -type=Result -linecomment -output result_string.go

// Result is what a frame function of this package did. Done means the
// frame was changed as asked (or needed no change); every other value
// leaves the frame unchanged and names why. The line comments are stable
// counter label values.
type Result uint8

// Results.
const (
	Done          Result = iota // done
	Malformed                   // malformed
	NotApplicable               // not-applicable
	NoOptionSpace               // no-option-space
	TooBig                      // too-big
	NoRoom                      // no-room
	OutOfOrder                  // out-of-order
	SynData                     // syn-data
	NumResults                  // (count)
)
