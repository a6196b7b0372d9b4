// Package testpeer starts real external SIP and WebRTC peers (sipp,
// kamailio, baresip, chromium) for webdial's interoperability tests.
//
// A test asks for a program by name with [Lookup]. When the program is not
// on PATH the test is skipped with the reason, unless the environment sets
// WEBDIAL_INTEROP=require (as .ci/run does), in which case the test fails:
// CI must never pass by silently skipping interop. [Start] runs the program
// in its own process group with a config rendered from testdata into a
// temporary directory, waits until it listens on the loopback port it was
// given, and stops that process group (never anything found by name) when
// the test ends. [FreePort] asks the OS for a loopback port.
package testpeer
