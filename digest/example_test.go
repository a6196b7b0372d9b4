package digest_test

import (
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/webdial/webdial/digest"
)

// Protect an HTTP handler with Digest authentication and call it with a
// digest.Client.
func ExampleServer_Require() {
	store := digest.NewMemoryStore("example.org")
	store.AddPassword("alice", "correct horse battery staple")

	key := make([]byte, 32) // in production: loaded from a secret store, shared by all instances
	rand.Read(key)
	srv, err := digest.NewServer(digest.Config{Realm: "example.org", Credentials: store}, key)
	if err != nil {
		log.Fatal(err)
	}
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, _ := digest.UsernameFromContext(r.Context())
		fmt.Fprintf(w, "hello %s", user)
	})
	ts := httptest.NewServer(srv.Require(hello)) // 127.0.0.1, free port
	defer ts.Close()

	// First request: no credentials, so a 401 with one challenge per algorithm.
	resp, err := http.Get(ts.URL + "/calls")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	challenges := resp.Header.Values("WWW-Authenticate")
	fmt.Println(resp.StatusCode, len(challenges), "challenges")

	// Second request: answer the strongest challenge.
	client := &digest.Client{Username: "alice", Password: "correct horse battery staple"}
	auth, err := client.Authorize(challenges, "GET", "/calls", nil)
	if err != nil {
		log.Fatal(err)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/calls", nil)
	req.Header.Set("Authorization", auth)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// 401 2 challenges
	// 200 hello alice
}
