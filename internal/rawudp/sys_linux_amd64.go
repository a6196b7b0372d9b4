package rawudp

// System call numbers of recvmmsg(2) and sendmmsg(2).
const (
	SysRecvmmsg = 299
	SysSendmmsg = 307
)
