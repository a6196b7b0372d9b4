//go:build unix && !linux

package main

import "log"

func writeSlow(string, []*peer) { log.Print("LOADTEST_SLOW: Linux only") }
