package testpeer

import (
	"os"
	"os/exec"
	"testing"
)

// InteropEnv is the environment variable that turns a missing peer from a
// skip into a failure when set to "require".
const InteropEnv = "WEBDIAL_INTEROP"

// Required reports whether missing peers must fail tests instead of
// skipping them.
func Required() bool { return os.Getenv(InteropEnv) == "require" }

// Lookup returns the path of the named program. If it is not on PATH the
// test is skipped with the reason, or fails when [Required] is true.
func Lookup(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if Required() {
		t.Fatalf("testpeer: %s not found on PATH and %s=require: %v", name, InteropEnv, err)
	}
	t.Skipf("testpeer: skipping, %s not found on PATH (install it, e.g. with .ci/run's apt-get line, or set %s=require to fail instead)", name, InteropEnv)
	return ""
}
