// Package exampleflag gives the example programs flags whose defaults come
// from WEBDIAL_* environment variables, so each setting can be given either
// way (the flag wins).
package exampleflag

import (
	"flag"
	"fmt"
	"strings"
	"time"
)

// String defines a string flag whose default is $env when set, else def.
func String(fs *flag.FlagSet, getenv func(string) string, name, env, def, usage string) *string {
	if v := getenv(env); v != "" {
		def = v
	}
	return fs.String(name, def, usage+" ($"+env+")")
}

// Secret is String for secrets: the usage text never shows the value taken
// from the environment, so -h cannot print a password.
func Secret(fs *flag.FlagSet, getenv func(string) string, name, env, usage string) *string {
	p := new(string)
	*p = getenv(env)
	fs.Var((*secretValue)(p), name, usage+" (prefer $"+env+": argv is visible to other users)")
	return p
}

type secretValue string

func (s *secretValue) String() string {
	if s == nil || *s == "" {
		return ""
	}
	return "(set)"
}

func (s *secretValue) Set(v string) error { *s = secretValue(v); return nil }

// Duration defines a duration flag whose default is $env when set.
func Duration(fs *flag.FlagSet, getenv func(string) string, name, env string, def time.Duration, usage string) (*time.Duration, error) {
	if v := getenv(env); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("$%s: %w", env, err)
		}
		def = d
	}
	return fs.Duration(name, def, usage+" ($"+env+")"), nil
}

// List splits a comma-separated flag value, dropping empty items.
func List(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
