package sipecho

import "time"

func tick() <-chan time.Time { return time.After(5 * time.Millisecond) }
