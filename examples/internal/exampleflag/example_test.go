package exampleflag_test

import (
	"flag"
	"fmt"

	"github.com/webdial/webdial/examples/internal/exampleflag"
)

func Example() {
	env := map[string]string{"WEBDIAL_LISTEN": "127.0.0.1:9000", "WEBDIAL_SIP_PASSWORD": "s3cret"}
	getenv := func(k string) string { return env[k] }
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	listen := exampleflag.String(fs, getenv, "listen", "WEBDIAL_LISTEN", "127.0.0.1:8080", "listen address")
	origins := exampleflag.String(fs, getenv, "origins", "WEBDIAL_ORIGINS", "", "allowed origins")
	pass := exampleflag.Secret(fs, getenv, "sip-password", "WEBDIAL_SIP_PASSWORD", "SIP password")
	_ = fs.Parse([]string{"-origins", "https://a.example, https://b.example"})

	fmt.Println(*listen)                                      // from the environment
	fmt.Println(exampleflag.List(*origins))                   // from the flag
	fmt.Println(*pass != "", fs.Lookup("sip-password").Value) // -h shows "(set)", never the value
	// Output:
	// 127.0.0.1:9000
	// [https://a.example https://b.example]
	// true (set)
}
