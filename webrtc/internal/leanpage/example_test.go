package leanpage_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/webdial/webdial/webrtc/internal/leanpage"
)

// A load generator makes one certificate and gives it to every page; its
// fingerprint is what the offers carry.
func ExampleGenerateCertificate() {
	cert, err := leanpage.GenerateCertificate()
	if err != nil {
		panic(err)
	}
	fmt.Println(len(strings.Split(cert.Fingerprint(), ":")), "bytes of sha-256")
	// Output: 32 bytes of sha-256
}

// A refused POST is a StatusError that matches ErrStatus.
func ExampleStatusError() {
	var err error = &leanpage.StatusError{Code: 403}
	fmt.Println(err, errors.Is(err, leanpage.ErrStatus))
	// Output: leanpage: http status 403 true
}
