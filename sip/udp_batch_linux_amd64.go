package sip

const (
	sysRecvmmsg = 299
	sysSendmmsg = 307
)
