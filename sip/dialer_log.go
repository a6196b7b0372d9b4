package sip

import (
	"context"
	"log/slog"
)

// quietSDPLogger wraps the logger handed to sipgo. sipgo logs the raw
// bytes of any message it fails to parse under the key "data" at Error
// level; a raw SIP message may carry Authorization headers and SDP, so
// that attribute is replaced by its length.
func quietSDPLogger(l *slog.Logger) *slog.Logger {
	return slog.New(redactHandler{l.Handler()})
}

type redactHandler struct{ next slog.Handler }

func (h redactHandler) Enabled(ctx context.Context, lv slog.Level) bool {
	return h.next.Enabled(ctx, lv)
}

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return redactHandler{h.next.WithAttrs(red)}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h.next.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	if a.Key == "data" {
		return slog.Int("data_len", len(a.Value.String()))
	}
	return a
}
