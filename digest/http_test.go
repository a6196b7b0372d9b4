package digest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

func whoami(w http.ResponseWriter, r *http.Request) {
	u, ok := UsernameFromContext(r.Context())
	if !ok {
		http.Error(w, "no user", http.StatusInternalServerError)
		return
	}
	fmt.Fprintf(w, "hello %s", u)
}

func httpHarness(t *testing.T, cfg Config) (*harness, *httptest.Server) {
	h := newHarness(t, cfg, "webdial@127.0.0.1")
	h.store.AddPassword("alice", "s3cr3t!")
	ts := httptest.NewServer(h.srv.Require(http.HandlerFunc(whoami)))
	t.Cleanup(ts.Close)
	return h, ts
}

func lookCurl(t *testing.T) string {
	p, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("WEBDIAL_INTEROP") == "require" {
			t.Fatalf("curl not found and WEBDIAL_INTEROP=require: %v", err)
		}
		t.Skip("curl not on PATH (set WEBDIAL_INTEROP=require to fail instead)")
	}
	return p
}

// TestCurlInterop runs curl --digest (an independent client) against the
// middleware on 127.0.0.1 for each algorithm curl supports.
func TestCurlInterop(t *testing.T) {
	curl := lookCurl(t)
	for _, algs := range [][]Algorithm{{MD5}, {SHA256}, nil} {
		t.Run(fmt.Sprint(algs), func(t *testing.T) {
			// One algorithm per server pins which one is exercised; nil
			// is the default offer (SHA-256 line, then MD5 line).
			_, ts := httpHarness(t, Config{Algorithms: algs})
			for _, tc := range []struct {
				pass string
				code string
				body string
			}{{"s3cr3t!", "200", "hello alice"}, {"wrong", "401", "401 Unauthorized\n"}} {
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				out, err := exec.CommandContext(ctx, curl, "--silent", "--show-error", "--digest",
					"--user", "alice:"+tc.pass, "--write-out", "\n%{http_code}",
					ts.URL+"/dir/index.html?a=1;b=2").Output()
				if err != nil {
					t.Fatalf("curl: %v", err)
				}
				if want := tc.body + "\n" + tc.code; string(out) != want {
					t.Fatalf("password %q: curl output %q, want %q", tc.pass, out, want)
				}
			}
		})
	}
}

var nonceRE = regexp.MustCompile(`nonce="[^"]*"`)

func roundTrip(t *testing.T, ts *httptest.Server, auth string) (int, http.Header, string) {
	req, err := http.NewRequestWithContext(t.Context(), "GET", ts.URL+"/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	resp.Header.Del("Date")
	for i, v := range resp.Header["Www-Authenticate"] {
		resp.Header["Www-Authenticate"][i] = nonceRE.ReplaceAllString(v, `nonce="N"`)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestUnknownUserLooksLikeWrongPassword(t *testing.T) {
	h, ts := httpHarness(t, Config{})
	ch := h.challenge(t, 0)
	wrongPass := h.cred(t, ch, "alice", "guess", "GET", "/x", nil)
	unknown := h.cred(t, h.challenge(t, 0), "nobody", "guess", "GET", "/x", nil)
	c1, h1, b1 := roundTrip(t, ts, wrongPass)
	c2, h2, b2 := roundTrip(t, ts, unknown)
	if c1 != http.StatusUnauthorized || c1 != c2 || b1 != b2 || fmt.Sprint(h1) != fmt.Sprint(h2) {
		t.Fatalf("responses differ:\n%d %v %q\n%d %v %q", c1, h1, b1, c2, h2, b2)
	}
	if len(h1.Values("WWW-Authenticate")) != 2 {
		t.Fatalf("want one challenge per algorithm: %v", h1)
	}
}

func TestRequireStatuses(t *testing.T) {
	h, ts := httpHarness(t, Config{NonceLifetime: time.Minute})
	if code, hdr, _ := roundTrip(t, ts, ""); code != 401 || strings.Contains(hdr.Get("WWW-Authenticate"), "stale") {
		t.Fatalf("no credentials: %d %v", code, hdr)
	}
	if code, _, _ := roundTrip(t, ts, `Digest username="a", username="b"`); code != 400 {
		t.Fatalf("malformed: %d", code)
	}
	cred := h.cred(t, h.challenge(t, 0), "alice", "s3cr3t!", "GET", "/x", nil)
	if code, _, body := roundTrip(t, ts, cred); code != 200 || body != "hello alice" {
		t.Fatalf("good: %d %q", code, body)
	}
	code, hdr, _ := roundTrip(t, ts, cred)
	if code != 401 || !strings.Contains(hdr.Get("WWW-Authenticate"), "stale=true") {
		t.Fatalf("replay: %d %v", code, hdr)
	}
	h.advance(2 * time.Minute)
	cred = oracleCred(t, h.challenge(t, 0), "alice", "s3cr3t!", "GET", "/x", nil, 1)
	h.advance(-2 * time.Minute)
	if code, _, _ := roundTrip(t, ts, cred); code != 401 {
		t.Fatalf("future nonce: %d", code)
	}
}

type brokenStore struct{}

func (brokenStore) LookupHA1(context.Context, Lookup) (Credential, error) {
	return Credential{}, errors.New("db down")
}

func TestRequireStoreFailure(t *testing.T) {
	h := newHarness(t, Config{Credentials: brokenStore{}}, "r")
	ts := httptest.NewServer(h.srv.Require(http.HandlerFunc(whoami)))
	defer ts.Close()
	if code, _, _ := roundTrip(t, ts, h.cred(t, h.challenge(t, 0), "alice", "x", "GET", "/x", nil)); code != 500 {
		t.Fatalf("store failure: %d", code)
	}
}

func TestRequireAuthInt(t *testing.T) {
	h, ts := httpHarness(t, Config{QOP: []string{"auth-int"}})
	body := "payload"
	req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.URL+"/p", strings.NewReader(body))
	req.Header.Set("Authorization", h.cred(t, h.challenge(t, 0), "alice", "s3cr3t!", "POST", "/p", []byte(body)))
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("auth-int POST: %d", resp.StatusCode)
	}
}
