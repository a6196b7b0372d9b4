package testpeer

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// SippStats are the cumulative counters from the last line of a sipp
// statistics file (sipp -trace_stat -stf FILE).
type SippStats struct {
	Created    int // TotalCallCreated
	Successful int // SuccessfulCall(C)
	Failed     int // FailedCall(C)
}

// ReadSippStats parses the header and last line of a sipp -stf CSV file.
func ReadSippStats(path string) (SippStats, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return SippStats{}, err
	}
	lines := strings.Split(strings.TrimSpace(string(bytes.ReplaceAll(b, []byte("\r"), nil))), "\n")
	if len(lines) < 2 {
		return SippStats{}, fmt.Errorf("testpeer: sipp stats %s has no data line", path)
	}
	head := strings.Split(lines[0], ";")
	last := strings.Split(lines[len(lines)-1], ";")
	col := func(name string) (int, error) {
		for i, h := range head {
			if h == name && i < len(last) {
				return strconv.Atoi(last[i])
			}
		}
		return 0, fmt.Errorf("testpeer: sipp stats %s: no column %s", path, name)
	}
	var s SippStats
	for _, c := range []struct {
		name string
		dst  *int
	}{{"TotalCallCreated", &s.Created}, {"SuccessfulCall(C)", &s.Successful}, {"FailedCall(C)", &s.Failed}} {
		v, err := col(c.name)
		if err != nil {
			return SippStats{}, err
		}
		*c.dst = v
	}
	return s, nil
}
