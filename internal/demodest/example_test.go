package demodest_test

import (
	"context"
	"fmt"
	"log"

	"github.com/webdial/webdial/internal/demodest"
)

func Example() {
	d, err := demodest.New(demodest.Config{User: "demo"}) // 127.0.0.1, free port
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	fmt.Println("call", d.Addr().Addr(), "user demo; active calls:", d.Stats().Active)
	cancel() // sends BYE on any call, then stops
	fmt.Println(<-done)
	// Output:
	// call 127.0.0.1 user demo; active calls: 0
	// context canceled
}
