package sip

import (
	"context"
	"log/slog"

	"github.com/emiago/sipgo"
	sipgosip "github.com/emiago/sipgo/sip"
)

// routes registers the handlers for requests that reach sipgo's
// transaction layer: everything over TCP, and over UDP everything but
// REGISTER and OPTIONS (answered statelessly in readFilter).
func (st *state) routes(srv *sipgo.Server) {
	on := func(register func(sipgo.RequestHandler), h sipgo.RequestHandler) { register(st.recovering(h)) }
	on(srv.OnRegister, func(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
		src := sourceOf(req)
		if err := validateRequest(req); err != nil {
			_ = tx.Respond(st.badRequest(req, err))
			return
		}
		_ = tx.Respond(st.register(context.Background(), req, "", src))
	})
	on(srv.OnOptions, func(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
		if err := validateRequest(req); err != nil {
			_ = tx.Respond(st.badRequest(req, err))
			return
		}
		_ = tx.Respond(st.options(req))
	})
	on(srv.OnInvite, st.handleInvite)
	on(srv.OnAck, st.handleAck)
	on(srv.OnBye, st.handleBye)
	on(srv.OnCancel, func(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
		// A CANCEL matching a live INVITE is handled by the transaction
		// layer; one that reaches us matches nothing.
		_ = tx.Respond(st.response(req, 481, "Call/Transaction Does Not Exist"))
	})
	on(srv.OnNoRoute, func(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
		if req.IsAck() {
			return
		}
		if err := validateRequest(req); err != nil {
			_ = tx.Respond(st.badRequest(req, err))
			return
		}
		_ = tx.Respond(st.unsupported(req))
	})
}

// recovering keeps one bad message from taking the process down: a panic
// in a handler (ours or sipgo's) is logged without the message and the
// request is dropped.
func (st *state) recovering(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
		defer func() {
			if r := recover(); r != nil {
				st.log.Error("sip: handler panic", "method", string(req.Method), "panic", r)
			}
		}()
		h(req, tx)
	}
}

// serverLogFilter passes sipgo's log records to the user's handler without
// raw message dumps (attribute "data"), which could hold Authorization
// headers, and below a minimum level.
type serverLogFilter struct {
	next slog.Handler
	min  slog.Level
}

func (h *serverLogFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.next.Enabled(ctx, l)
}

func (h *serverLogFilter) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "data" {
			out.AddAttrs(a)
		}
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *serverLogFilter) WithAttrs(as []slog.Attr) slog.Handler {
	kept := make([]slog.Attr, 0, len(as))
	for _, a := range as {
		if a.Key != "data" {
			kept = append(kept, a)
		}
	}
	return &serverLogFilter{next: h.next.WithAttrs(kept), min: h.min}
}

func (h *serverLogFilter) WithGroup(name string) slog.Handler {
	return &serverLogFilter{next: h.next.WithGroup(name), min: h.min}
}
