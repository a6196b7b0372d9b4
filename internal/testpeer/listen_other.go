//go:build !linux

package testpeer

// listening needs /proc/net; interop tests run on Linux (CI's machines).
func listening(network string, port int) (bool, error) { return false, errNoProcNet }
