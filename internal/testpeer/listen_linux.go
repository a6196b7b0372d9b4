package testpeer

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// listening reports whether any socket is bound to port: an unconnected UDP
// socket, or a TCP socket in LISTEN state. /proc/net shows sockets of every
// process, so this works for peers that give no sign of readiness.
func listening(network string, port int) (bool, error) {
	wantPort := fmt.Sprintf(":%04X", port)
	found := false
	for _, fam := range []string{"", "6"} {
		f, err := os.Open("/proc/net/" + network + fam)
		if err != nil {
			if fam == "6" {
				continue
			}
			return false, errNoProcNet
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || !strings.HasSuffix(fields[1], wantPort) {
				continue
			}
			state := fields[3]
			if (network == "tcp" && state == "0A") || (network == "udp" && state == "07") {
				found = true
			}
		}
		f.Close()
	}
	return found, nil
}
