package main

import "embed"

// webFiles is the page: plain HTML, CSS and JavaScript, no build step.
//
//go:embed web
var webFiles embed.FS
