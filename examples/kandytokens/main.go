// kandytokens prints the credentials Kandy's anonymous-call SDK expects
// (makeAnonymous: accountToken, fromToken, toToken, realm) for a realm key,
// the realm's anonymous account user and the callee, timestamped now; with
// -verify it checks a token instead.
//
// The realm key is a secret: pass it in WEBDIAL_KANDY_KEY rather than on the
// command line, where other users can read it in the process list.
//
// Kandy's token format is AES-128-ECB without integrity (see
// token.KandyLegacy); use it only to talk to an existing Kandy realm.
package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/webdial/webdial/token"
)

// keyEnv names the environment variable holding the realm key.
const keyEnv = "WEBDIAL_KANDY_KEY"

func main() {
	log.SetFlags(0)
	log.SetPrefix("kandytokens: ")
	err := run(os.Args[1:], os.Getenv, time.Now, os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// run is the whole program, with its inputs passed in so a test can drive
// it with a fixed clock and key.
func run(args []string, getenv func(string) string, now func() time.Time, stdout io.Writer) error {
	fs := flag.NewFlagSet("kandytokens", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var (
		keyFlag = fs.String("key", "", "realm key: 16 characters, or 32 hex digits (default $"+keyEnv+")")
		realm   = fs.String("realm", "", "realm name, sent with the tokens (required)")
		account = fs.String("account", "", "the realm's anonymous account user ID, e.g. anonymous@example.com (also the from token's user)")
		to      = fs.String("to", "", "the callee's user ID, e.g. sales@example.com")
		at      = fs.String("time", "", "timestamp to use instead of now: Unix milliseconds or RFC 3339")
		expiry  = fs.Duration("expiry", 5*time.Minute, "the realm's token expiry period (for -verify)")
		verify  = fs.String("verify", "", "verify this token instead of making credentials")
		asJSON  = fs.Bool("json", false, "print the makeAnonymous credentials object as JSON")
	)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s=KEY kandytokens -realm R -account USER -to USER [-json]\n"+
			"       %s=KEY kandytokens -realm R -verify TOKEN [-expiry 5m]\n", keyEnv, keyEnv)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	key, err := parseKey(*keyFlag, getenv(keyEnv))
	if err != nil {
		return err
	}
	if *realm == "" {
		return errors.New("-realm is required")
	}
	t := now()
	if *at != "" {
		if t, err = parseTime(*at); err != nil {
			return err
		}
	}
	k, err := token.NewKandyLegacy(key, *realm, *expiry)
	if err != nil {
		return err
	}

	if *verify != "" {
		v, err := k.Verify(*verify, t)
		if err != nil {
			return fmt.Errorf("token does not verify: %w", err)
		}
		kind := "account token"
		if v.SIP {
			kind = "from/to token"
		}
		fmt.Fprintf(stdout, "valid %s for %s, issued %s (%s before %s)\n", kind, v.UserID,
			v.Timestamp.UTC().Format(time.RFC3339Nano), t.Sub(v.Timestamp).Round(time.Millisecond), t.UTC().Format(time.RFC3339Nano))
		return nil
	}

	if *account == "" || *to == "" {
		return errors.New("-account and -to are required (or -verify)")
	}
	creds, err := k.Credentials(*account, *to, t)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(creds)
	}
	fmt.Fprintf(stdout, "accountToken: %s\nfromToken:    %s\ntoToken:      %s\nrealm:        %s\n",
		creds.AccountToken, creds.FromToken, creds.ToToken, creds.Realm)
	fmt.Fprintf(stdout, "timestamp:    %d (%s); valid until %s\n",
		t.UnixMilli(), t.UTC().Format(time.RFC3339), t.Add(*expiry).UTC().Format(time.RFC3339))
	return nil
}

// parseKey takes the flag, else the environment: 16 characters are the key
// bytes as Kandy's documentation describes; 32 hex digits are decoded.
func parseKey(flagVal, envVal string) ([]byte, error) {
	s := flagVal
	if s == "" {
		s = envVal
	}
	switch len(s) {
	case 0:
		return nil, errors.New("no realm key: set " + keyEnv + " or -key")
	case 16:
		return []byte(s), nil
	case 32:
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, errors.New("a 32-character realm key must be hex")
		}
		return b, nil
	}
	// Never echo the key itself.
	return nil, fmt.Errorf("realm key must be 16 characters or 32 hex digits, got %d characters", len(s))
}

// parseTime reads Unix milliseconds (Date.now(), as Kandy's sample uses) or
// an RFC 3339 time.
func parseTime(s string) (time.Time, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("-time %q: want Unix milliseconds or RFC 3339", s)
	}
	return t, nil
}
