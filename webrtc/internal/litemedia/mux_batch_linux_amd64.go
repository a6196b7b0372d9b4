package litemedia

const sysRecvmmsg = 299
