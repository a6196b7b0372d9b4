package sip

const (
	sysRecvmmsg = 243
	sysSendmmsg = 269
)
