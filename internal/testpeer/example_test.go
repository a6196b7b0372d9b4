package testpeer_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/webdial/webdial/internal/testpeer"
)

// A test runs sipp with -trace_stat -stf FILE and reads the cumulative
// counters from the file's last line once sipp has exited.
func ExampleReadSippStats() {
	dir, err := os.MkdirTemp("", "sipp")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	stats := filepath.Join(dir, "stats.csv")
	// The header and two lines of a real sipp 3.6 stat file, columns trimmed.
	csv := "TotalCallCreated;SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C);\r\n" +
		"3;3;3;0;0;\r\n" +
		"5;2;4;1;1;\r\n"
	if err := os.WriteFile(stats, []byte(csv), 0o600); err != nil {
		panic(err)
	}
	st, err := testpeer.ReadSippStats(stats)
	fmt.Printf("%+v %v\n", st, err)
	// Output:
	// {Created:5 Successful:4 Failed:1} <nil>
}
